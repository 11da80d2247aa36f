"""Indexer of the exact dense torch index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..base.dense_buffer import DenseEmbeddingBuffer
from ..base.format import DOC_LENGTHS_FILE, EMBEDDINGS_FILE
from ..base.indexer import IndexData, Indexer


class TorchDenseIndexer(Indexer):
    """Stores document vectors (only those where the scoring mask is True) for exact search.

    Writes ``embeddings.npy`` ``(num_embeddings, dim)`` float32 (L2-normalised for cosine similarity) and
    ``doc_lengths.npy`` ``(num_docs,)`` int64, the number of vectors of each document in index order.
    """

    index_type = "torch-dense"

    def _start(self) -> None:
        self.buffer = DenseEmbeddingBuffer(normalize_vectors=self.scoring.similarity_function == "cosine")

    def _add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        self.buffer.add(embeddings, scoring_mask)

    def _write(self, staging_dir: Path) -> IndexData:
        self.buffer.write(staging_dir / EMBEDDINGS_FILE)
        np.save(staging_dir / DOC_LENGTHS_FILE, self.buffer.doc_lengths())
        return IndexData(
            num_embeddings=self.buffer.num_embeddings, dim=self.buffer.dim or 0, multi_vector=self.buffer.multi_vector
        )
