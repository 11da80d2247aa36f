"""Streams the sparse vectors of a shard as a CSR matrix: row starts, column indices and values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..base.format import load_array, open_array
from ..base.npy_file import NpyReader, NpyWriter
from ..base.scoring import normalize
from ..base.shard_writer import ShardData, ShardWriter

CROW_INDICES_FILE = "crow_indices.npy"
COL_INDICES_FILE = "col_indices.npy"
VALUES_FILE = "values.npy"


class SparseShardWriter(ShardWriter):
    """Writes the non-zero entries of ``(batch, 1, vocab)`` document embeddings as they arrive.

    ``crow_indices.npy`` ``(num_docs + 1,)`` int64, ``col_indices.npy`` ``(nnz,)`` int64 and ``values.npy``
    ``(nnz,)`` float32. A document whose scoring mask is False gets an empty row.

    Args:
        folder: The shard's folder.
        normalize_vectors: L2-normalise every vector on the way in (cosine similarity).
    """

    def __init__(self, folder: Path, normalize_vectors: bool = False) -> None:
        super().__init__(folder)
        self.normalize_vectors = normalize_vectors
        self.vocab_size = 0
        self._crow = NpyWriter(folder / CROW_INDICES_FILE, np.int64)
        self._columns = NpyWriter(folder / COL_INDICES_FILE, np.int64)
        self._values = NpyWriter(folder / VALUES_FILE, np.float32)
        self._crow.append(np.zeros(1, dtype=np.int64))

    def _add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        if embeddings.shape[1] != 1:
            raise ValueError(
                f"sparse indexes take one vector per document, shape (batch, 1, vocab); got {tuple(embeddings.shape)}"
            )
        if embeddings.layout != torch.strided:
            embeddings = embeddings.to_dense()
        dense = embeddings[:, 0].detach().to("cpu", torch.float32)
        dense = torch.where(scoring_mask[:, :1].to("cpu"), dense, 0.0)  # masked-out NaN/inf never reach the index
        if self.normalize_vectors:
            dense = normalize(dense)
        rows, columns = dense.nonzero(as_tuple=True)  # row-major order, as CSR needs
        row_nnz = torch.bincount(rows, minlength=dense.shape[0]).numpy()
        self._append(row_nnz, columns.numpy(), dense[rows, columns].numpy())
        self.vocab_size = embeddings.shape[2]

    def _append(self, row_nnz: np.ndarray, columns: np.ndarray, values: np.ndarray) -> None:
        self._crow.append(self._columns.num_rows + np.cumsum(row_nnz, dtype=np.int64))
        self._columns.append(columns)
        self._values.append(values)

    def _open_source(self, source: Path, source_data: ShardData) -> list[NpyReader]:
        nnz = source_data.num_embeddings
        self._source_crow = load_array(source / CROW_INDICES_FILE, (source_data.num_docs + 1,), np.int64)
        self._source_columns = open_array(source / COL_INDICES_FILE, (nnz,), np.int64)
        self._source_values = open_array(source / VALUES_FILE, (nnz,), np.float32)
        self.vocab_size = source_data.dim
        return [self._source_columns, self._source_values]

    def _copy_block(self, start: int, stop: int, keep: np.ndarray) -> None:
        crow = self._source_crow[start : stop + 1]
        first, last = int(crow[0]), int(crow[-1])
        row_nnz = np.diff(crow)
        entries = np.repeat(keep, row_nnz)
        columns = self._source_columns.read(first, last)[entries]
        values = self._source_values.read(first, last)[entries]
        self._append(row_nnz[keep], columns, values)

    def _close(self) -> ShardData:
        for writer in (self._crow, self._columns, self._values):
            writer.close()
        return ShardData(
            num_docs=self.num_docs, num_embeddings=self._values.num_rows, dim=self.vocab_size, multi_vector=False
        )

    def _abort(self) -> None:
        for writer in (self._crow, self._columns, self._values):
            writer.abort()
