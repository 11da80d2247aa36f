"""Streams the dense vectors of a shard to ``embeddings.npy`` and their per-document counts to ``doc_lengths.npy``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .format import DOC_LENGTHS_FILE, EMBEDDINGS_FILE, load_array, open_array
from .npy_file import NpyReader, NpyWriter
from .precision import encode, storage_dtype
from .scoring import normalize
from .shard_writer import ShardData, ShardWriter

COPY_VECTORS = 1 << 16
"""Vectors read at a time when a shard is copied (a block of multi-vector documents stays a few MiB)."""


class DenseShardWriter(ShardWriter):
    """Writes the scoring vectors of added documents (only those where the scoring mask is True) as they arrive.

    ``embeddings.npy`` is ``(num_embeddings, dim)`` in the storage type of ``precision`` (float32, float16 or
    bfloat16 bit patterns; int8 shards are written as float32 and quantised once the quantizer is trained),
    ``doc_lengths.npy`` ``(num_docs,)`` int64.

    Args:
        folder: The shard's folder.
        normalize_vectors: L2-normalise every vector on the way in (cosine similarity).
        precision: The storage precision of ``embeddings.npy`` (float32, float16 or bfloat16).
    """

    def __init__(self, folder: Path, normalize_vectors: bool = False, precision: str = "float32") -> None:
        super().__init__(folder)
        self.normalize_vectors = normalize_vectors
        self.precision = precision
        self.dtype = storage_dtype(precision)
        self.multi_vector = False
        self._vectors: NpyWriter | None = None
        self._lengths = NpyWriter(folder / DOC_LENGTHS_FILE, np.int64)

    def _add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        mask = scoring_mask.to("cpu")
        vectors = embeddings.detach().to("cpu", torch.float32)[mask]
        if self.normalize_vectors:
            vectors = normalize(vectors)
        self.multi_vector = self.multi_vector or embeddings.shape[1] > 1
        self._append(encode(np.ascontiguousarray(vectors.numpy()), self.precision), mask.sum(dim=1).numpy(), 0)

    def _append(self, stored: np.ndarray, lengths: np.ndarray, dim: int) -> None:
        if self._vectors is None:
            row_shape = (stored.shape[1] if stored.ndim == 2 else dim,)
            self._vectors = NpyWriter(self.folder / EMBEDDINGS_FILE, self.dtype, row_shape)
        if stored.shape[0]:
            self._vectors.append(stored)
        self._lengths.append(lengths.astype(np.int64, copy=False))

    def _open_source(self, source: Path, source_data: ShardData) -> list[NpyReader]:
        self._source_lengths = load_array(source / DOC_LENGTHS_FILE, (source_data.num_docs,), np.int64)
        self._source_offsets = np.concatenate([[0], np.cumsum(self._source_lengths)])
        self._source = open_array(
            source / EMBEDDINGS_FILE, (source_data.num_embeddings, source_data.dim), storage_dtype(self.precision)
        )
        self.multi_vector = self.multi_vector or source_data.multi_vector
        return [self._source]

    def _copy_block(self, start: int, stop: int, keep: np.ndarray) -> None:
        offsets = self._source_offsets
        while start < stop:  # at most COPY_VECTORS vectors (but at least one document) read at a time
            end = int(np.searchsorted(offsets, offsets[start] + COPY_VECTORS, side="right")) - 1
            end = min(max(end, start + 1), stop)
            lengths, kept = self._source_lengths[start:end], keep[: end - start]
            block = self._source.read(int(offsets[start]), int(offsets[end]))
            self._append(block[np.repeat(kept, lengths)], lengths[kept], self._source.shape[1])
            keep, start = keep[end - start :], end

    def _close(self) -> ShardData:
        if self._vectors is None:
            self._lengths.abort()
            raise ValueError(f"the shard at {self.folder} has no documents")
        self._vectors.close()
        self._lengths.close()
        return ShardData(
            num_docs=self.num_docs,
            num_embeddings=self._vectors.num_rows,
            dim=self._vectors.row_shape[0],
            multi_vector=self.multi_vector,
        )

    def _abort(self) -> None:
        if self._vectors is not None:
            self._vectors.abort()
        self._lengths.abort()
