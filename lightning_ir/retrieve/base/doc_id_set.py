"""The set of document ids of an index being built, kept as 8-byte hashes so memory stays small at any scale."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

MERGE_SIZE = 1 << 18
"""Recent hashes kept in a small sorted array before they are merged into the large one (fewer large copies)."""


def hash_doc_ids(doc_ids: Sequence[str]) -> np.ndarray:
    """``(len(doc_ids),)`` int64 hashes of the ids (Python's string hash: only comparable within one process)."""
    return np.fromiter(map(hash, doc_ids), dtype=np.int64, count=len(doc_ids))


class DocIdSet:
    """Tells which ids were seen before, in 8 bytes per id instead of a Python string each.

    Ids are compared by a 64-bit hash; when a hash was seen before, the ids themselves are compared (read back through
    ``known_ids``), so two different ids whose hashes collide are still told apart.

    Args:
        known_ids: Yields every id added so far (the index's doc id files); only read when a hash was seen before.
    """

    def __init__(self, known_ids: Callable[[], Iterable[str]]) -> None:
        self._known_ids = known_ids
        self._sorted = np.zeros(0, dtype=np.int64)
        self._recent = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return self._sorted.size + self._recent.size

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
        self._recent = _merge(self._recent, np.sort(hashes))
        if self._recent.size >= MERGE_SIZE:
            self._sorted, self._recent = _merge(self._sorted, self._recent), np.zeros(0, dtype=np.int64)

    def _seen(self, hashes: np.ndarray) -> np.ndarray:
        order = np.argsort(hashes)  # sorted look-ups walk the large array in order
        ordered = hashes[order]
        found = np.zeros(hashes.shape, dtype=bool)
        for known in (self._sorted, self._recent):
            if known.size:
                found |= known[np.searchsorted(known, ordered).clip(max=known.size - 1)] == ordered
        seen = np.empty_like(found)
        seen[order] = found
        return seen


def _merge(known: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The sorted union (with repeats) of two sorted arrays, in one new array."""
    return np.insert(known, np.searchsorted(known, new), new)
