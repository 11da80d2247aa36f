"""TupleDataset: training tuples (a query with a positive and negative documents, or teacher-scored documents)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, get_args

import torch

from ..options import TupleTargets
from .ir_datasets_utils import dataset_ref, doc_text, qrels_by_query, query_text
from .samples import RankSample
from .sharding import ShardedIterableDataset


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

    Args:
        tuples_dataset: An id whose collection has docpairs (ir_datasets, :func:`register_local` or a folder).
        targets: ``"order"``: the first document is the positive, targets ``[1, 0, ..., 0]``; ``"score"``: the
            tuple's teacher scores (the tuples must carry scores).
        num_docs: Only the first ``num_docs`` documents of each tuple (all when ``None``).

    Raises:
        ValueError: Unknown id, missing docpairs/queries/docs, or an unknown ``targets`` value.
    """

    def __init__(self, tuples_dataset: str, targets: TupleTargets = "order", num_docs: int | None = None):
        super().__init__()
        if targets not in get_args(TupleTargets):
            allowed = " or ".join(repr(value) for value in get_args(TupleTargets))
            raise ValueError(f"TupleDataset: targets must be {allowed}, got {targets!r}")
        if num_docs is not None and num_docs < 1:
            raise ValueError(f"TupleDataset: num_docs must be at least 1, got {num_docs}")
        self.tuples_dataset = tuples_dataset
        self.targets = targets
        self.num_docs = num_docs
        self._ref = dataset_ref(tuples_dataset)
        dataset = self._ref.load()
        for entity in ("docpairs", "queries", "docs"):
            if not dataset.has(entity):
                raise ValueError(f"TupleDataset: '{tuples_dataset}' has no {entity}")

    def iter_all(self) -> Iterator[RankSample]:
        """Yields one :class:`RankSample` per training tuple (its first ``num_docs`` documents), with ``targets``."""
        dataset = self._ref.load()
        queries = {query.query_id: query_text(query) for query in dataset.queries_iter()}
        qrels = qrels_by_query(dataset) if dataset.has_qrels() else None
        store = dataset.docs_store()
        for number, item in enumerate(dataset.docpairs_iter(), start=1):
            doc_ids, scores = tuple_contents(item)
            doc_ids = doc_ids[: self.num_docs]
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
