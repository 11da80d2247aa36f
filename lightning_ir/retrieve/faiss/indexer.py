"""Base class of the faiss indexers: collect vectors, build and fill a faiss index at save time."""

from __future__ import annotations

import logging
from abc import abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..base.dense_buffer import DenseEmbeddingBuffer
from ..base.format import DOC_LENGTHS_FILE, EMBEDDINGS_FILE
from ..base.indexer import IndexData, Indexer
from .backend import import_faiss

logger = logging.getLogger(__name__)

FAISS_INDEX_FILE = "index.faiss"
ADD_CHUNK_SIZE = 1 << 16


class FaissIndexer(Indexer):
    """Builds a faiss inner-product index over the documents' scoring vectors.

    Vectors are collected as float32 arrays while documents are added; :meth:`save` builds the faiss index
    (training it on a random sample where needed), adds the vectors chunk by chunk and writes ``index.faiss``
    and ``doc_lengths.npy``. Multi-vector indexes also keep ``embeddings.npy`` for exact MaxSim re-scoring.
    Cosine similarity is inner product on L2-normalised vectors.
    """

    keeps_embeddings = False
    """Whether single-vector indexes also keep ``embeddings.npy`` (for exact re-scoring of compressed indexes)."""

    def _start(self) -> None:
        import_faiss()
        self.buffer = DenseEmbeddingBuffer(normalize_vectors=self.scoring.similarity_function == "cosine")

    def _add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        self.buffer.add(embeddings, scoring_mask)

    def _write(self, staging_dir: Path) -> IndexData:
        faiss = import_faiss()
        embeddings_path = staging_dir / EMBEDDINGS_FILE
        vectors = self.buffer.write(embeddings_path)
        np.save(staging_dir / DOC_LENGTHS_FILE, self.buffer.doc_lengths())
        dim = self.buffer.dim or 0
        index = self._build_index(vectors)
        for start in range(0, vectors.shape[0], ADD_CHUNK_SIZE):
            index.add(np.ascontiguousarray(vectors[start : start + ADD_CHUNK_SIZE]))
            if self.verbose:
                logger.info("added %d / %d vectors", min(start + ADD_CHUNK_SIZE, len(vectors)), len(vectors))
        faiss.write_index(index, str(staging_dir / FAISS_INDEX_FILE))
        del vectors
        if not (self.buffer.multi_vector or self.keeps_embeddings):
            embeddings_path.unlink()
        return IndexData(num_embeddings=self.buffer.num_embeddings, dim=dim, multi_vector=self.buffer.multi_vector)

    @abstractmethod
    def _build_index(self, vectors: np.ndarray) -> Any:
        """Returns an empty, trained faiss index for ``vectors`` ``(num_embeddings, dim)`` float32."""
