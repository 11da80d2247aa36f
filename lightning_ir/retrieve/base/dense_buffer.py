"""Collects dense document vectors batch by batch as float32 arrays and streams them to a ``.npy`` file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .scoring import normalize


class DenseEmbeddingBuffer:
    """Holds the scoring vectors of added documents (only those where the scoring mask is True).

    Args:
        normalize_vectors: L2-normalise every vector on the way in (cosine similarity).
    """

    def __init__(self, normalize_vectors: bool = False) -> None:
        self.normalize_vectors = normalize_vectors
        self.dim: int | None = None
        self.max_seq_length = 0
        self._chunks: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self.num_embeddings = 0

    @property
    def multi_vector(self) -> bool:
        """Whether any added batch had more than one vector per document."""
        return self.max_seq_length > 1

    def add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Stores the masked vectors of a batch.

        Args:
            embeddings: ``(batch, seq, dim)`` float tensor (validated by the caller).
            scoring_mask: ``(batch, seq)`` bool tensor.
        """
        vectors = embeddings.detach().to("cpu", torch.float32)[scoring_mask.to("cpu")]
        if self.normalize_vectors:
            vectors = normalize(vectors)
        self._chunks.append(np.ascontiguousarray(vectors.numpy()))
        self._lengths.append(scoring_mask.sum(dim=1).to("cpu", torch.int64).numpy())
        self.dim = embeddings.shape[2]
        self.max_seq_length = max(self.max_seq_length, embeddings.shape[1])
        self.num_embeddings += vectors.shape[0]

    def clear(self) -> None:
        """Drops the stored vectors (after the index was saved)."""
        self._chunks = []
        self._lengths = []

    def doc_lengths(self) -> np.ndarray:
        """``(num_docs,)`` int64 number of vectors per document."""
        if not self._lengths:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self._lengths)

    def write(self, path: Path, release: bool = False) -> np.ndarray:
        """Writes all vectors to a ``.npy`` file chunk by chunk (no second full copy in memory).

        Args:
            path: The ``.npy`` file to create.
            release: Drop the in-memory chunks once written.

        Returns:
            The written file, memory-mapped read-only, ``(num_embeddings, dim)`` float32.
        """
        shape = (self.num_embeddings, self.dim or 0)
        array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
        position = 0
        for chunk in self._chunks:
            array[position : position + chunk.shape[0]] = chunk
            position += chunk.shape[0]
        array.flush()
        del array
        if release:
            self._chunks = []
        return np.load(path, mmap_mode="r")
