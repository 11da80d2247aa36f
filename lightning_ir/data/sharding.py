"""Splitting iterable datasets across DataLoader workers and distributed ranks, at iteration time."""

from __future__ import annotations

import itertools
import math
import os
import random
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

T = TypeVar("T")


def distributed_rank() -> tuple[int, int]:
    """Returns ``(rank, world_size)`` of this process.

    From ``torch.distributed`` when initialised, else from the ``RANK`` and ``WORLD_SIZE`` environment variables (set
    by torchrun and Lightning), else ``(0, 1)``.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    return 0, 1


def shard_position() -> tuple[int, int]:
    """Returns ``(shard index, number of shards)`` of the calling process: one shard per (rank, worker) pair.

    Shard ``worker * world_size + rank`` takes items ``index, index + num_shards, ...``, so rank ``r`` as a whole
    receives the items ``r, r + world_size, ...`` however many workers it has.
    """
    rank, world_size = distributed_rank()
    info = get_worker_info()
    worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
    return worker * world_size + rank, world_size * num_workers


def buffered_shuffle(items: Iterable[T], buffer_size: int, rng: random.Random) -> Iterator[T]:
    """Yields ``items`` in a random order, holding at most ``buffer_size`` of them at a time.

    The buffer fills first; then each new item takes the place of one drawn at random from the buffer, which is
    yielded; at the end the rest of the buffer follows in random order. A buffer at least as large as the stream
    shuffles it uniformly.

    Args:
        items: The stream.
        buffer_size: Items held at most (1 or more; 1 keeps the order).
        rng: The source of the draws.
    """
    buffer: list[T] = []
    for item in items:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        position = rng.randrange(buffer_size)
        yield buffer[position]
        buffer[position] = item
    rng.shuffle(buffer)
    yield from buffer


class ShardedIterableDataset(IterableDataset[T]):
    """An iterable dataset whose items are split across DataLoader workers and distributed ranks.

    Every item is yielded exactly once overall. Subclasses implement :meth:`iter_all`, the unsplit stream.

    The dataset counts its passes: :attr:`epoch` is the number of the pass under way (0 first), so that a subclass can
    shuffle or sample differently every epoch. Each ``iter()`` uses the current epoch and then moves it on by one;
    :class:`ShardedDataLoader` sets it before every pass, so that DataLoader workers (fresh copies or persistent
    ones) agree with the main process. :meth:`set_epoch` sets it by hand.
    """

    epoch: int = 0
    """The pass over the dataset that the next ``iter()`` makes (0 first)."""

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch of the next pass.

        Args:
            epoch: Pass number, 0 or more.

        Raises:
            ValueError: ``epoch`` is negative.
        """
        if epoch < 0:
            raise ValueError(f"{type(self).__name__}: epoch must be 0 or more, got {epoch}")
        self.epoch = epoch

    def iter_all(self) -> Iterator[T]:
        """Yields every item of the dataset (before splitting)."""
        raise NotImplementedError

    def count_all(self) -> int | None:
        """Returns the number of items before splitting, or ``None`` when unknown."""
        return None

    def iter_shard(self, epoch: int, index: int, num_shards: int) -> Iterator[T]:
        """Yields the items of shard ``index`` of ``num_shards`` in pass ``epoch``.

        By default items ``index, index + num_shards, ...`` of :meth:`iter_all` (which ignores the epoch).
        """
        return itertools.islice(self.iter_all(), index, None, num_shards)

    def __iter__(self) -> Iterator[T]:
        index, num_shards = shard_position()
        epoch = self.epoch
        self.epoch = epoch + 1
        return self.iter_shard(epoch, index, num_shards)

    def __len__(self) -> int:
        """Number of items this rank yields (over all its workers).

        Raises:
            TypeError: The size is not known in advance.
        """
        total = self.count_all()
        if total is None:
            raise TypeError(f"{type(self).__name__} does not know its size in advance")
        rank, world_size = distributed_rank()
        return len(range(rank, total, world_size))


def batches_per_process(total: int, batch_size: int, num_workers: int) -> int:
    """Batches this process yields when ``total`` items are sharded and every worker batches its own share.

    Each of the ``max(1, num_workers)`` DataLoader workers of this rank batches its items on its own, so a worker with
    ``n`` items yields ``ceil(n / batch_size)`` batches (more, in all, than ``ceil(items / batch_size)``).
    """
    rank, world_size = distributed_rank()
    workers = max(1, num_workers)
    num_shards = world_size * workers
    counts = [len(range(worker * world_size + rank, total, num_shards)) for worker in range(workers)]
    return sum(math.ceil(count / batch_size) for count in counts)


class ShardedDataLoader(DataLoader):
    """A DataLoader whose length is the exact number of batches it yields, with any number of workers.

    Lightning takes ``len(dataloader)`` batches and no more; PyTorch's length, ``ceil(items / batch_size)``, is short
    by up to one batch per worker when the workers of a sharded dataset batch their shares separately. The dataset
    may say its number of batches itself (``num_batches(num_workers)``, as length-bucketed datasets do).

    The loader counts its passes and sets a sharded dataset's :attr:`~ShardedIterableDataset.epoch` to the pass number
    before each one (the n-th ``iter()`` of the loader is epoch n, counted from 0), so that per-epoch shuffling and
    sampling also work with DataLoader workers.
    """

    _passes: int = 0

    def __iter__(self) -> Any:
        if isinstance(self.dataset, ShardedIterableDataset):
            self.dataset.set_epoch(self._passes)
        self._passes += 1
        return super().__iter__()

    def __len__(self) -> int:
        dataset = self.dataset
        num_batches = getattr(dataset, "num_batches", None)
        if callable(num_batches):
            return int(num_batches(self.num_workers))
        if isinstance(dataset, ShardedIterableDataset) and self.batch_size is not None:
            total = dataset.count_all()
            if total is None:
                raise TypeError(f"{type(dataset).__name__} does not know its size in advance")
            return batches_per_process(total, self.batch_size, self.num_workers)
        return super().__len__()
