"""Length bucketing: inference batches whose texts have similar lengths, so that little of each batch is padding.

A batch is padded to its longest text, so a batch mixing a 20-token and a 500-token document spends most of its work on
padding. :class:`LengthBucketedDataset` reads its dataset in windows of ``window`` batches, sorts each window by text
length (longest first) and cuts it into batches, so the texts of a batch have similar lengths:

- documents (``DocDataset``) and queries (``QueryDataset``) are sorted by their own length, ``batch_size`` per batch;
- re-ranking samples (``RunDataset``, ``TupleDataset``) are split into their query-document pairs, sorted by the
  length of query plus document; a window of ``n`` queries gives ``ceil(n / batch_size)`` batches with the same
  number of pairs each, and every batch holds its pairs grouped by query (a query's documents may be spread over
  several batches, each group keeping the query's id, its documents' ids and targets).

Every item keeps its own id, and each batch carries the position of each item (or query) in the dataset
(``batch.positions``), from which the dataset's order is restored where order matters (run files). Sorting is by
characters, which follow token counts closely and cost nothing to compute.

Iteration is split across DataLoader workers and distributed ranks as :mod:`lightning_ir.data.sharding` splits it
(the item at position ``p`` goes to shard ``p % num_shards``), so every item is yielded exactly once overall.
:class:`~lightning_ir.data.sharding.ShardedDataLoader` reads its exact number of batches from
:meth:`LengthBucketedDataset.num_batches`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from torch.utils.data import Dataset, IterableDataset

from ..validation import check_positive_int
from .batches import IndexBatch, RankBatch, SearchBatch
from .collator import LightningIRCollator
from .samples import DocSample, QuerySample, RankSample
from .sharding import ShardedIterableDataset, batches_per_process, distributed_rank, shard_position

Sample = DocSample | QuerySample | RankSample

DEFAULT_WINDOW = 100
"""Batches per sorting window: long enough that most batches hold texts of nearly equal length."""


@dataclass
class Bucket:
    """What a :class:`LengthBucketedDataset` yields: the samples of one batch and their positions in the dataset.

    Attributes:
        samples: The batch's samples (for re-ranking, one sample per query group, with that group's documents).
        positions: Per sample, the position of its item (or its query) in the dataset.
    """

    samples: list[Sample]
    positions: list[int]


def text_length(sample: DocSample | QuerySample) -> int:
    """The length that orders documents and queries: characters of the text."""
    return len(sample.doc) if isinstance(sample, DocSample) else len(sample.query)


def length_sorted_batches(
    lengths: Sequence[int], batch_size: int | None = None, num_batches: int | None = None
) -> list[list[int]]:
    """Indices ``0 .. len(lengths) - 1`` sorted by length (longest first, ties in index order) and cut into batches.

    Args:
        lengths: One length per item.
        batch_size: Items per batch (the last batch may be smaller).
        num_batches: Instead of ``batch_size``: the number of batches, whose sizes then differ by at most one
            (at most one batch per item).

    Returns:
        The batches, longest items first; each batch lists its indices in ascending order.
    """
    order = sorted(range(len(lengths)), key=lambda index: -lengths[index])
    if batch_size is not None:
        sizes = [min(batch_size, len(order) - start) for start in range(0, len(order), batch_size)]
    else:
        count = min(num_batches or 1, len(order))
        sizes = [len(order) // count + (1 if batch < len(order) % count else 0) for batch in range(count)]
    batches, start = [], 0
    for size in sizes:
        batches.append(sorted(order[start : start + size]))
        start += size
    return batches


class LengthBucketedDataset(IterableDataset[Bucket]):
    """Batches of a dataset's samples sorted by length within windows (see the module docstring).

    Args:
        dataset: A ``DocDataset``, ``QueryDataset`` or ``TupleDataset`` (any sharded iterable dataset), or a
            map-style dataset of samples (``RunDataset``).
        batch_size: Documents or queries per batch; for re-ranking, queries per batch on average (a batch holds
            ``batch_size`` queries' worth of pairs).
        window: Batches per sorting window.

    Raises:
        ValueError: ``batch_size`` or ``window`` is not a positive integer.
    """

    def __init__(self, dataset: Dataset[Any], batch_size: int, window: int = DEFAULT_WINDOW) -> None:
        super().__init__()
        self.dataset = dataset
        self.batch_size = check_positive_int(type(self).__name__, "batch_size", batch_size)
        self.window = check_positive_int(type(self).__name__, "window", window)

    def __getattr__(self, name: str) -> Any:
        """The wrapped dataset's attributes (``doc_dataset``, ``run_path_or_id``, ...), for whoever names datasets."""
        dataset = self.__dict__.get("dataset")
        if dataset is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(dataset, name)

    def __iter__(self) -> Iterator[Bucket]:
        items = self._positioned_samples()
        while window := list(itertools.islice(items, self.window * self.batch_size)):
            positions = [position for position, _ in window]
            samples = [sample for _, sample in window]
            if isinstance(samples[0], RankSample):
                yield from _pair_buckets(samples, positions, self.batch_size)  # type: ignore[arg-type]
            else:
                lengths = [text_length(sample) for sample in samples]  # type: ignore[arg-type]
                for batch in length_sorted_batches(lengths, batch_size=self.batch_size):
                    yield Bucket([samples[index] for index in batch], [positions[index] for index in batch])

    def _positioned_samples(self) -> Iterator[tuple[int, Any]]:
        """This shard's ``(position in the dataset, sample)`` pairs, in dataset order."""
        index, num_shards = shard_position()
        if isinstance(self.dataset, ShardedIterableDataset):
            stream = itertools.islice(self.dataset.iter_all(), index, None, num_shards)
            for offset, sample in enumerate(stream):
                yield index + offset * num_shards, sample
            return
        for position in range(index, len(self.dataset), num_shards):  # type: ignore[arg-type]
            yield position, self.dataset[position]

    def _total(self) -> int:
        """Items of the whole dataset (all ranks).

        Raises:
            TypeError: The dataset does not know its size in advance.
        """
        if isinstance(self.dataset, ShardedIterableDataset):
            total = self.dataset.count_all()
            if total is None:
                raise TypeError(f"{type(self.dataset).__name__} does not know its size in advance")
            return total
        return len(self.dataset)  # type: ignore[arg-type]

    def __len__(self) -> int:
        """Items (documents or queries) this process yields over all its workers, as the dataset counts them.

        Raises:
            TypeError: The size is not known in advance.
        """
        rank, world_size = distributed_rank()
        return len(range(rank, self._total(), world_size))

    def num_batches(self, num_workers: int) -> int:
        """Batches this process yields when read by ``num_workers`` DataLoader workers (0: in the main process).

        Every window is a whole number of batches, so a worker with ``n`` items yields ``ceil(n / batch_size)``.

        Raises:
            TypeError: The size is not known in advance.
        """
        return batches_per_process(self._total(), self.batch_size, num_workers)


def _pair_buckets(samples: list[RankSample], positions: list[int], batch_size: int) -> Iterator[Bucket]:
    """The window's query-document pairs sorted by length, in ``ceil(queries / batch_size)`` batches.

    Each batch holds one :class:`RankSample` per query it has pairs of (in window order), with those documents in
    their original order.
    """
    pairs = [(index, doc_index) for index, sample in enumerate(samples) for doc_index in range(len(sample.docs))]
    lengths = [len(samples[s].query) + len(samples[s].docs[d]) for s, d in pairs]
    for batch in length_sorted_batches(lengths, num_batches=math.ceil(len(samples) / batch_size)):
        groups: dict[int, list[int]] = {}
        for pair_index in batch:
            sample_index, doc_index = pairs[pair_index]
            groups.setdefault(sample_index, []).append(doc_index)
        group_samples = [_sub_sample(samples[index], docs) for index, docs in groups.items()]
        yield Bucket(group_samples, [positions[index] for index in groups])  # type: ignore[arg-type]


def _sub_sample(sample: RankSample, doc_indices: list[int]) -> RankSample:
    """``sample`` with only the documents at ``doc_indices`` (and their targets)."""
    if len(doc_indices) == len(sample.docs):
        return sample
    targets = sample.targets[doc_indices] if sample.targets is not None else None
    return replace(
        sample,
        doc_ids=[sample.doc_ids[index] for index in doc_indices],
        docs=[sample.docs[index] for index in doc_indices],
        targets=targets,
    )


class BucketCollator:
    """Collates a :class:`Bucket` with a :class:`LightningIRCollator` and records the positions on the batch.

    Args:
        collator: The data module's collator (its tokenizer, if any, tokenises the batch).
    """

    def __init__(self, collator: LightningIRCollator) -> None:
        self.collator = collator

    def __call__(self, bucket: Bucket) -> IndexBatch | SearchBatch | RankBatch:
        """The batch of ``bucket.samples``, with ``positions`` set."""
        return replace(self.collator(bucket.samples), positions=list(bucket.positions))
