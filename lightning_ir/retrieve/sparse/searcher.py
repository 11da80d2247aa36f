"""Exact search over a sparse index: CSR x dense products over blocks of documents with a running top-k."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import torch

from ..base.format import IndexFormatError, check_finite, check_finite_file, load_array, open_array
from ..base.npy_file import NpyReader
from ..base.searcher import Searcher
from ..base.top_k import RunningTopK
from .shard_writer import COL_INDICES_FILE, CROW_INDICES_FILE, VALUES_FILE

BLOCK_ELEMENTS = 1 << 24
"""Largest dense score block (queries x documents) computed at once, in elements (64 MiB)."""

SCAN_BLOCK = 1 << 20
"""Entries read at a time when checking a shard's column indices on disk."""


class SparseSearcher(Searcher):
    """Exact top-k search over a ``sparse`` index.

    Each block of documents is a CSR slice multiplied with the dense ``(vocab, queries)`` query matrix, so only a
    ``(block, queries)`` score matrix exists at any time, never one for the whole collection. With
    ``in_memory=False`` the column indices and values are read from disk block by block for every search (explicit
    reads), so an index larger than memory can be searched; the row starts (8 bytes per document) stay in memory.
    An index made of shards is searched as one.
    """

    index_types = ("sparse",)

    def _load(self) -> None:
        metadata = self.metadata
        self.in_memory = bool(getattr(self.search_config, "in_memory", True))
        self.shard_rows: list[tuple[int, torch.Tensor, NpyReader, NpyReader]] = []
        first_doc = 0
        for shard in metadata.shards:
            folder = shard.folder(self.index_dir)
            nnz = shard.num_embeddings
            crow = load_array(folder / CROW_INDICES_FILE, (shard.num_docs + 1,), np.int64)
            if crow[0] != 0 or crow[-1] != nnz or bool(np.any(np.diff(crow) < 0)):
                raise IndexFormatError(f"{folder / CROW_INDICES_FILE} is not a valid CSR row index for {nnz} values")
            columns = open_array(folder / COL_INDICES_FILE, (nnz,), np.int64)
            values = open_array(folder / VALUES_FILE, (nnz,), np.float32)
            self.shard_rows.append((first_doc, torch.from_numpy(crow), columns, values))
            first_doc += shard.num_docs
        self.loaded: list[tuple[torch.Tensor, torch.Tensor]] = []
        for _, _, columns, values in self.shard_rows:
            if self.in_memory:
                loaded_columns, loaded_values = columns.read_all(), values.read_all()
                self._check_columns(loaded_columns, columns)
                check_finite(loaded_values, values.path)
                self.loaded.append((torch.from_numpy(loaded_columns), torch.from_numpy(loaded_values)))
            else:
                for start in range(0, columns.num_rows, SCAN_BLOCK):
                    self._check_columns(columns.read(start, start + SCAN_BLOCK), columns)
                check_finite_file(values)

    def _check_columns(self, columns: np.ndarray, reader: NpyReader) -> None:
        if columns.size and (int(columns.min()) < 0 or int(columns.max()) >= self.metadata.dim):
            raise IndexFormatError(f"{reader.path} has columns outside [0, {self.metadata.dim})")

    def _blocks(self, docs_per_block: int) -> Iterator[tuple[int, torch.Tensor]]:
        """Yields ``(first document, (docs, vocab) CSR tensor)`` blocks in index order."""
        for shard_index, (first_doc, crow, columns, values) in enumerate(self.shard_rows):
            num_docs = crow.shape[0] - 1
            for start in range(0, num_docs, docs_per_block):
                end = min(start + docs_per_block, num_docs)
                first, last = int(crow[start]), int(crow[end])
                if self.in_memory:
                    block_columns, block_values = (data[first:last] for data in self.loaded[shard_index])
                else:
                    block_columns = torch.from_numpy(columns.read(first, last))
                    block_values = torch.from_numpy(values.read(first, last))
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
                    matrix = torch.sparse_csr_tensor(
                        crow[start : end + 1] - first,
                        block_columns,
                        block_values,
                        size=(end - start, self.metadata.dim),
                        check_invariants=False,
                    )
                yield first_doc + start, matrix.to(self.device)

    def _search(self, queries: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        if queries.shape[1] != 1:
            raise ValueError(
                f"sparse search takes one vector per query, shape (queries, 1, vocab); got {tuple(queries.shape)}"
            )
        query_matrix = (queries[:, 0] * mask[:, :1]).T.contiguous()
        top_k = RunningTopK(queries.shape[0], k, self.device)
        for start, matrix in self._blocks(max(1024, BLOCK_ELEMENTS // max(1, queries.shape[0]))):
            top_k.update((matrix @ query_matrix).T, start)
        return top_k.result()
