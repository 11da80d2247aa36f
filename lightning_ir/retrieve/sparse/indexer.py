"""Indexer of the sparse (SPLADE-style) index: a CSR matrix of documents x vocabulary per shard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..base.indexer import Indexer
from ..base.model_config import ScoringSettings
from .shard_writer import COL_INDICES_FILE, CROW_INDICES_FILE, VALUES_FILE, SparseShardWriter

if TYPE_CHECKING:
    from ..base.index_config import IndexConfig

__all__ = ["COL_INDICES_FILE", "CROW_INDICES_FILE", "VALUES_FILE", "SparseIndexer"]


class SparseIndexer(Indexer):
    """Stores the non-zero entries of ``(batch, 1, vocab)`` document embeddings as a CSR matrix, streamed to disk.

    Every shard holds ``crow_indices.npy`` ``(num_docs + 1,)`` int64, ``col_indices.npy`` ``(nnz,)`` int64 and
    ``values.npy`` ``(nnz,)`` float32. A document whose scoring mask is False gets an empty row.
    """

    index_type = "sparse"

    allows_empty_documents = True

    @classmethod
    def shard_writer(cls, folder: Path, scoring: ScoringSettings, index_config: IndexConfig) -> SparseShardWriter:
        """Streams the documents' non-zero entries."""
        return SparseShardWriter(folder, scoring.similarity_function == "cosine")
