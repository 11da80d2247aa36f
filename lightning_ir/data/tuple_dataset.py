"""TupleDataset: training tuples (a query with a positive and negative documents, or teacher-scored documents)."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from typing import Any, get_args

import torch

from ..options import TupleTargets
from .ir_datasets_utils import dataset_ref, doc_text, qrels_by_query, query_text
from .samples import RankSample
from .sharding import ShardedIterableDataset, buffered_shuffle


def tuple_contents(item: Any) -> tuple[tuple[str, ...], tuple[float, ...] | None]:
    """Returns ``(doc_ids, scores)`` of a docpairs item.

    The item is one of ir_datasets' ``(query_id, doc_id_a, doc_id_b)`` pairs, or any named tuple with ``doc_ids`` and
    optionally ``scores`` (local tuples files).
    """
    if hasattr(item, "doc_ids"):
        scores = getattr(item, "scores", None)
        return tuple(item.doc_ids), None if scores is None else tuple(float(s) for s in scores)
    return (item.doc_id_a, item.doc_id_b), None


class TupleDataset(ShardedIterableDataset[RankSample]):
    """Iterates over a collection's docpairs as :class:`RankSample` objects with targets.

    Iteration is split across DataLoader workers and distributed ranks (every tuple is yielded exactly once overall).
    Teacher scores must be finite numbers (local tuples files are checked line by line when read).

    By default every epoch reads the tuples in file order and takes each tuple's first ``num_docs`` documents. Mined
    tuples usually carry more negatives than a batch can hold, and a stream cannot be shuffled by the DataLoader, so
    two options make every epoch different (drawn from ``seed`` and the epoch, the same in every run):

    - ``sample_negatives``: keep each tuple's first document (the positive) and draw the other ``num_docs - 1``
      from the rest of the tuple (with their teacher scores), a new draw every epoch;
    - ``shuffle_buffer``: shuffle each process's share of the tuples through a buffer of that many tuples (a full
      shuffle when the buffer holds them all), in a new order every epoch.

    Args:
        tuples_dataset: An id whose collection has docpairs (ir_datasets, :func:`register_local` or a folder).
        targets: ``"order"``: the first document is the positive, targets ``[1, 0, ..., 0]``; ``"score"``: the
            tuple's teacher scores (the tuples must carry scores).
        num_docs: Only ``num_docs`` documents of each tuple, the first ones unless ``sample_negatives`` (all when
            ``None``).
        sample_negatives: Draw the negatives kept of each tuple anew every epoch (needs ``num_docs``).
        shuffle_buffer: Tuples held for shuffling; 0 reads them in order.
        seed: Seed of the draws and shuffles.

    Raises:
        ValueError: Unknown id, missing docpairs/queries/docs, an unknown ``targets`` value, ``num_docs`` below 1,
            ``sample_negatives`` without ``num_docs`` or a negative ``shuffle_buffer``.
    """

    def __init__(
        self,
        tuples_dataset: str,
        targets: TupleTargets = "order",
        num_docs: int | None = None,
        sample_negatives: bool = False,
        shuffle_buffer: int = 0,
        seed: int = 0,
    ):
        super().__init__()
        if targets not in get_args(TupleTargets):
            allowed = " or ".join(repr(value) for value in get_args(TupleTargets))
            raise ValueError(f"TupleDataset: targets must be {allowed}, got {targets!r}")
        if num_docs is not None and num_docs < 1:
            raise ValueError(f"TupleDataset: num_docs must be at least 1, got {num_docs}")
        if sample_negatives and num_docs is None:
            raise ValueError("TupleDataset: sample_negatives needs num_docs (how many documents to keep per tuple)")
        if shuffle_buffer < 0:
            raise ValueError(f"TupleDataset: shuffle_buffer must be 0 or more, got {shuffle_buffer}")
        self.tuples_dataset = tuples_dataset
        self.targets = targets
        self.num_docs = num_docs
        self.sample_negatives = sample_negatives
        self.shuffle_buffer = shuffle_buffer
        self.seed = seed
        self._ref = dataset_ref(tuples_dataset)
        dataset = self._ref.load()
        for entity in ("docpairs", "queries", "docs"):
            if not dataset.has(entity):
                raise ValueError(f"TupleDataset: '{tuples_dataset}' has no {entity}")

    def iter_all(self) -> Iterator[RankSample]:
        """Yields one :class:`RankSample` per training tuple of the current :attr:`epoch`, in file order."""
        return self._iter_epoch(self.epoch)

    def iter_shard(self, epoch: int, index: int, num_shards: int) -> Iterator[RankSample]:
        """Yields this shard's tuples of pass ``epoch``, shuffled when ``shuffle_buffer`` is set."""
        items = itertools.islice(self._iter_epoch(epoch), index, None, num_shards)
        if not self.shuffle_buffer:
            return items
        return buffered_shuffle(items, self.shuffle_buffer, random.Random(f"shuffle-{self.seed}-{epoch}-{index}"))

    def _iter_epoch(self, epoch: int) -> Iterator[RankSample]:
        dataset = self._ref.load()
        queries = {query.query_id: query_text(query) for query in dataset.queries_iter()}
        qrels = qrels_by_query(dataset) if dataset.has_qrels() else None
        store = dataset.docs_store()
        for number, item in enumerate(dataset.docpairs_iter(), start=1):
            doc_ids, scores = self._kept(*tuple_contents(item), epoch, number)
            where = f"TupleDataset: tuple {number} of '{self.tuples_dataset}'"
            if item.query_id not in queries:
                raise ValueError(f"{where} names query '{item.query_id}', which is not in the collection")
            docs = store.get_many(doc_ids)
            missing = [doc_id for doc_id in doc_ids if doc_id not in docs]
            if missing:
                raise ValueError(f"{where} names document(s) {missing}, which are not in the collection")
            yield RankSample(
                query_id=item.query_id,
                query=queries[item.query_id],
                doc_ids=list(doc_ids),
                docs=[doc_text(docs[doc_id]) for doc_id in doc_ids],
                targets=self._targets(len(doc_ids), scores, where),
                qrels=None if qrels is None else qrels.get(item.query_id, []),
            )

    def _kept(
        self, doc_ids: tuple[str, ...], scores: tuple[float, ...] | None, epoch: int, number: int
    ) -> tuple[tuple[str, ...], tuple[float, ...] | None]:
        """The documents (and their scores) of tuple ``number`` kept in pass ``epoch``."""
        if self.num_docs is None or len(doc_ids) <= self.num_docs:
            return doc_ids, scores
        if not self.sample_negatives:
            return doc_ids[: self.num_docs], None if scores is None else scores[: self.num_docs]
        drawn = random.Random(f"negatives-{self.seed}-{epoch}-{number}").sample(
            range(1, len(doc_ids)), self.num_docs - 1
        )
        positions = [0, *sorted(drawn)]
        kept_scores = None if scores is None else tuple(scores[i] for i in positions if i < len(scores))
        return tuple(doc_ids[i] for i in positions), kept_scores

    def _targets(self, num_docs: int, scores: tuple[float, ...] | None, where: str) -> torch.Tensor:
        if self.targets == "order":
            targets = torch.zeros(num_docs)
            targets[0] = 1.0
            return targets
        if scores is None:
            raise ValueError(f"{where} has no scores; use targets='order' or scored tuples")
        if not all(math.isfinite(score) for score in scores):
            raise ValueError(f"{where} has scores {list(scores)}; teacher scores must be finite numbers")
        return torch.tensor(scores[:num_docs], dtype=torch.float32)

    def count_all(self) -> int | None:
        """The number of training tuples, or ``None`` when the collection does not say."""
        dataset = self._ref.load()
        return dataset.docpairs_count() if hasattr(dataset, "docpairs_count") else None
