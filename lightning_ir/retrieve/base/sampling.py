"""Training samples for quantizers and faiss indexes: uniformly random rows, read from the shards' vector files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .npy_file import NpyReader

SAMPLE_SEED = 0


def sample_rows(num_rows: int, num_samples: int, seed: int = SAMPLE_SEED) -> np.ndarray:
    """``min(num_samples, num_rows)`` distinct row numbers drawn uniformly at random, sorted (sequential reads)."""
    if num_samples >= num_rows:
        return np.arange(num_rows, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(num_rows, size=num_samples, replace=False)).astype(np.int64)


def sample_vectors(files: list[Path], num_samples: int, seed: int = SAMPLE_SEED) -> np.ndarray:
    """A uniformly random sample of the rows of the ``.npy`` files taken together (as if concatenated).

    Only the sampled rows are read, so memory is bounded by the sample.

    Returns:
        ``(min(num_samples, total rows), dim)`` rows in file order.
    """
    readers = [NpyReader(path) for path in files]
    sizes = np.array([reader.num_rows for reader in readers], dtype=np.int64)
    rows = sample_rows(int(sizes.sum()), num_samples, seed)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    parts = [
        reader.read_rows(rows[(rows >= start) & (rows < stop)] - start)
        for reader, start, stop in zip(readers, starts[:-1], starts[1:], strict=True)
    ]
    for reader in readers:
        reader.close()
    return np.ascontiguousarray(np.concatenate(parts))
