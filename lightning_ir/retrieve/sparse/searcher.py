"""Exact search over a sparse index: CSR x dense products over blocks of documents with a running top-k."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from ..base.format import IndexFormatError, load_array
from ..base.searcher import Searcher
from ..base.top_k import RunningTopK
from .indexer import COL_INDICES_FILE, CROW_INDICES_FILE, VALUES_FILE

BLOCK_ELEMENTS = 1 << 24
"""Largest dense score block (queries x documents) computed at once, in elements (64 MiB)."""


class SparseSearcher(Searcher):
    """Exact top-k search over a ``sparse`` index.

    Each block of documents is a CSR slice multiplied with the dense ``(vocab, queries)`` query matrix, so only a
    ``(block, queries)`` score matrix exists at any time, never one for the whole collection.
    """

    index_types = ("sparse",)

    def _load(self) -> None:
        metadata = self.metadata
        crow = load_array(self.index_dir / CROW_INDICES_FILE, (metadata.num_docs + 1,), np.int64)
        nnz = metadata.num_embeddings
        columns = load_array(self.index_dir / COL_INDICES_FILE, (nnz,), np.int64)
        values = load_array(self.index_dir / VALUES_FILE, (nnz,), np.float32, finite=True)
        if crow[0] != 0 or crow[-1] != nnz or bool(np.any(np.diff(crow) < 0)):
            raise IndexFormatError(
                f"{self.index_dir / CROW_INDICES_FILE} is not a valid CSR row index for {nnz} values"
            )
        if nnz and (int(columns.min()) < 0 or int(columns.max()) >= metadata.dim):
            raise IndexFormatError(f"{self.index_dir / COL_INDICES_FILE} has columns outside [0, {metadata.dim})")
        self.crow_indices = torch.from_numpy(crow).to(self.device)
        self.col_indices = torch.from_numpy(columns).to(self.device)
        self.values = torch.from_numpy(values).to(self.device)

    def _block(self, start: int, end: int) -> torch.Tensor:
        """Rows ``[start, end)`` of the document matrix as a ``(end - start, vocab)`` CSR tensor."""
        first, last = int(self.crow_indices[start]), int(self.crow_indices[end])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            return torch.sparse_csr_tensor(
                self.crow_indices[start : end + 1] - first,
                self.col_indices[first:last],
                self.values[first:last],
                size=(end - start, self.metadata.dim),
                check_invariants=False,
            )

    def _search(self, queries: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        if queries.shape[1] != 1:
            raise ValueError(
                f"sparse search takes one vector per query, shape (queries, 1, vocab); got {tuple(queries.shape)}"
            )
        query_matrix = (queries[:, 0] * mask[:, :1]).T.contiguous()
        top_k = RunningTopK(queries.shape[0], k, self.device)
        block = max(1024, BLOCK_ELEMENTS // max(1, queries.shape[0]))
        for start in range(0, self.num_docs, block):
            end = min(start + block, self.num_docs)
            top_k.update((self._block(start, end) @ query_matrix).T, start)
        return top_k.result()
