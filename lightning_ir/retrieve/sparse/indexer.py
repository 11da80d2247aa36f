"""Indexer of the sparse (SPLADE-style) index: a CSR matrix of documents x vocabulary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..base.indexer import IndexData, Indexer
from ..base.scoring import normalize

CROW_INDICES_FILE = "crow_indices.npy"
COL_INDICES_FILE = "col_indices.npy"
VALUES_FILE = "values.npy"


class SparseIndexer(Indexer):
    """Stores the non-zero entries of ``(batch, 1, vocab)`` document embeddings as a CSR matrix.

    Writes ``crow_indices.npy`` ``(num_docs + 1,)`` int64, ``col_indices.npy`` ``(nnz,)`` int64 and
    ``values.npy`` ``(nnz,)`` float32. A document whose scoring mask is False gets an empty row.
    """

    index_type = "sparse"

    allows_empty_documents = True

    def _start(self) -> None:
        self._row_nnz: list[np.ndarray] = []
        self._columns: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._vocab_size = 0

    def _add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        if embeddings.shape[1] != 1:
            raise ValueError(
                f"sparse indexes take one vector per document, shape (batch, 1, vocab); got {tuple(embeddings.shape)}"
            )
        if embeddings.layout != torch.strided:
            embeddings = embeddings.to_dense()
        dense = embeddings[:, 0].detach().to("cpu", torch.float32)
        dense = dense * scoring_mask[:, :1].to("cpu", torch.float32)
        if self.scoring.similarity_function == "cosine":
            dense = normalize(dense)
        rows, columns = dense.nonzero(as_tuple=True)  # row-major order, as CSR needs
        self._row_nnz.append(torch.bincount(rows, minlength=dense.shape[0]).numpy())
        self._columns.append(columns.numpy())
        self._values.append(dense[rows, columns].numpy())
        self._vocab_size = embeddings.shape[2]

    def _write(self, staging_dir: Path) -> IndexData:
        row_nnz = np.concatenate(self._row_nnz)
        crow_indices = np.zeros(row_nnz.shape[0] + 1, dtype=np.int64)
        np.cumsum(row_nnz, out=crow_indices[1:])
        np.save(staging_dir / CROW_INDICES_FILE, crow_indices)
        np.save(staging_dir / COL_INDICES_FILE, np.concatenate(self._columns))
        np.save(staging_dir / VALUES_FILE, np.concatenate(self._values).astype(np.float32, copy=False))
        return IndexData(num_embeddings=int(crow_indices[-1]), dim=self._vocab_size, multi_vector=False)
