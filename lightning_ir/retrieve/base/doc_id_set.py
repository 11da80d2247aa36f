"""The set of document ids of an index being built, kept as 8-byte hashes, on disk when a folder is given.

Without a folder the hashes stay in memory (8 bytes per id). With one, full runs of hashes go to files there and are
merged pairwise as they accumulate (at most about log2(ids / RUN_SIZE) files), and memory holds only the newest run
and one hash per 4 KiB block of each file: memory does not grow with the collection, and a look-up reads one block per
file for each id it checks (from the page cache, usually).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

RUN_SIZE = 1 << 18
"""Hashes per sorted run (2 MiB) held in memory before it is written out (or, in memory, kept as a run of its own)."""

BLOCK = 512
"""Hashes per block of a run file (4 KiB): the unit a look-up reads."""

LOOKUP_CHUNK = 4096
"""Ids looked up in a run file at a time (at most this many blocks, 16 MiB, are read at once)."""


def hash_doc_ids(doc_ids: Sequence[str]) -> np.ndarray:
    """``(len(doc_ids),)`` int64 hashes of the ids (Python's string hash: only comparable within one process)."""
    return np.fromiter(map(hash, doc_ids), dtype=np.int64, count=len(doc_ids))


class DocIdSet:
    """Tells which ids were seen before, in 8 bytes per id (in memory) or a bounded amount of memory (on disk).

    Ids are compared by a 64-bit hash; when a hash was seen before, the ids themselves are compared (read back through
    ``known_ids``), so two different ids whose hashes collide are still told apart. Hashes are kept in sorted runs of
    at least :data:`RUN_SIZE`; a look-up binary-searches every run.

    Args:
        known_ids: Yields every id added so far (the index's doc id files); only read when a hash was seen before.
        spill_root: Where full runs are written (a folder of this set's own is created inside it on first use and
            removed by :meth:`close`); a callable is called then. None keeps every run in memory.
    """

    def __init__(
        self, known_ids: Callable[[], Iterable[str]], spill_root: Path | Callable[[], Path] | None = None
    ) -> None:
        self._known_ids = known_ids
        self._spill_root = spill_root
        self._folder: Path | None = None
        self._runs: list[_MemoryRun] = []
        self._files: list[_FileRun] = []
        self._recent = np.zeros(0, dtype=np.int64)
        self._written = 0

    def __len__(self) -> int:
        return sum(run.size for run in self._runs) + sum(run.size for run in self._files) + self._recent.size

    def contains(self, doc_ids: Sequence[str], hashes: np.ndarray | None = None) -> np.ndarray:
        """``(len(doc_ids),)`` bool: which ids were added before (exactly: hash matches are checked against the ids)."""
        hashes = hash_doc_ids(doc_ids) if hashes is None else hashes
        seen = self._seen(hashes)
        if seen.any():
            suspects = {doc_ids[i] for i in np.flatnonzero(seen).tolist()}
            found = {doc_id for doc_id in self._known_ids() if doc_id in suspects}
            seen = np.fromiter((doc_id in found for doc_id in doc_ids), dtype=bool, count=len(doc_ids))
        return seen

    def duplicates(self, doc_ids: Sequence[str], hashes: np.ndarray | None = None) -> list[str]:
        """The ids of ``doc_ids`` that were added before or occur twice in ``doc_ids``, in order of occurrence."""
        hashes = hash_doc_ids(doc_ids) if hashes is None else hashes
        seen = self.contains(doc_ids, hashes)
        if not seen.any() and np.unique(hashes).size == hashes.size:
            return []
        within: set[str] = set()
        repeated: list[str] = []
        for doc_id, before in zip(doc_ids, seen.tolist(), strict=True):
            if before or doc_id in within:
                repeated.append(doc_id)
            within.add(doc_id)
        return list(dict.fromkeys(repeated))

    def add(self, hashes: np.ndarray) -> None:
        """Records the hashes of ids that were just added."""
        hashes = np.sort(hashes)
        while hashes.size:
            room = RUN_SIZE - self._recent.size
            self._recent = _merge(self._recent, hashes[:room])
            hashes = hashes[room:]
            if self._recent.size >= RUN_SIZE:
                self._store_run(self._recent)
                self._recent = np.zeros(0, dtype=np.int64)

    def close(self) -> None:
        """Removes the run files (the set is empty afterwards)."""
        self._runs, self._files, self._recent = [], [], np.zeros(0, dtype=np.int64)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _store_run(self, run: np.ndarray) -> None:
        if self._spill_root is None:
            self._runs.append(_MemoryRun(run))
            return
        self._files.append(_FileRun.write(self._next_path(), run, level=0))
        while len(self._files) > 1 and self._files[-1].level == self._files[-2].level:
            second, first = self._files.pop(), self._files.pop()
            self._files.append(_FileRun.merge(first, second, self._next_path()))

    def _next_path(self) -> Path:
        if self._folder is None:
            root = self._spill_root() if callable(self._spill_root) else self._spill_root
            assert root is not None
            root.mkdir(parents=True, exist_ok=True)
            self._folder = Path(tempfile.mkdtemp(prefix="doc-id-hashes-", dir=root))
        self._written += 1
        return self._folder / f"run-{self._written:06d}.bin"

    def _seen(self, hashes: np.ndarray) -> np.ndarray:
        order = np.argsort(hashes)  # sorted look-ups walk the runs in order
        ordered = hashes[order]
        found = np.zeros(hashes.shape, dtype=bool)
        for run in self._runs:
            found |= run.lookup(ordered)
        for file in self._files:
            found |= file.lookup(ordered)
        if self._recent.size:
            found |= _member(self._recent, ordered)
        seen = np.empty_like(found)
        seen[order] = found
        return seen


class _MemoryRun:
    """A sorted run of hashes in memory."""

    def __init__(self, hashes: np.ndarray) -> None:
        self.hashes = hashes

    @property
    def size(self) -> int:
        return int(self.hashes.size)

    def lookup(self, ordered: np.ndarray) -> np.ndarray:
        return _member(self.hashes, ordered)


class _FileRun:
    """A sorted run of hashes in a raw int64 file; memory holds the first hash of every block (the fences)."""

    def __init__(self, path: Path, fences: np.ndarray, size: int, level: int) -> None:
        self.path, self.fences, self.size, self.level = path, fences, size, level

    @classmethod
    def write(cls, path: Path, hashes: np.ndarray, level: int) -> _FileRun:
        with open(path, "xb") as file:
            file.write(hashes.tobytes())
        return cls(path, hashes[::BLOCK].copy(), int(hashes.size), level)

    @classmethod
    def merge(cls, first: _FileRun, second: _FileRun, path: Path) -> _FileRun:
        """Merges two run files into one (a level up), reading and writing a chunk at a time; deletes the two."""
        fences, size = [], 0
        with open(path, "xb") as out:
            for block in _merged_chunks(first.chunks(), second.chunks()):
                fences.append(block[(-size) % BLOCK :: BLOCK])
                out.write(block.tobytes())
                size += block.size
        first.path.unlink()
        second.path.unlink()
        return cls(path, np.concatenate(fences), size, max(first.level, second.level) + 1)

    def chunks(self) -> Iterator[np.ndarray]:
        """The run's hashes in chunks of :data:`RUN_SIZE`."""
        with open(self.path, "rb") as file:
            while (chunk := np.fromfile(file, dtype=np.int64, count=RUN_SIZE)).size:
                yield chunk

    def lookup(self, ordered: np.ndarray) -> np.ndarray:
        found = np.zeros(ordered.shape, dtype=bool)
        with open(self.path, "rb") as file:
            for start in range(0, ordered.size, LOOKUP_CHUNK):
                part = ordered[start : start + LOOKUP_CHUNK]
                blocks = np.unique((np.searchsorted(self.fences, part, side="right") - 1).clip(min=0))
                found[start : start + part.size] = _member(self._read_blocks(file, blocks), part)
        return found

    def _read_blocks(self, file: BinaryIO, blocks: np.ndarray) -> np.ndarray:
        """The hashes of the given (sorted, distinct) blocks, consecutive blocks read at once: a sorted array."""
        breaks = np.flatnonzero(np.diff(blocks) != 1) + 1
        parts = []
        for group in np.split(blocks, breaks):
            file.seek(int(group[0]) * BLOCK * 8)
            count = min(group.size * BLOCK, self.size - int(group[0]) * BLOCK)
            parts.append(np.fromfile(file, dtype=np.int64, count=count))
        return np.concatenate(parts)


def _merged_chunks(first: Iterator[np.ndarray], second: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Merges two sorted streams of chunks into sorted chunks, holding about two chunks at a time."""
    left, right = next(first, None), next(second, None)
    while left is not None and right is not None:
        limit = min(left[-1], right[-1])  # everything up to here is final; one side is used up
        cut_left, cut_right = np.searchsorted(left, limit, "right"), np.searchsorted(right, limit, "right")
        yield _merge(left[:cut_left], right[:cut_right])
        left = left[cut_left:] if cut_left < left.size else next(first, None)
        right = right[cut_right:] if cut_right < right.size else next(second, None)
    for rest, stream in ((left, first), (right, second)):
        if rest is not None:
            yield rest
            yield from stream


def _member(known: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """``(len(ordered),)`` bool: which of the sorted ``ordered`` occur in the sorted ``known``."""
    if not known.size:
        return np.zeros(ordered.shape, dtype=bool)
    return known[np.searchsorted(known, ordered).clip(max=known.size - 1)] == ordered


def _merge(known: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The sorted union (with repeats) of two sorted arrays, in one new array."""
    return np.insert(known, np.searchsorted(known, new), new)
