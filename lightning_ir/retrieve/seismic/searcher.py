"""Approximate search over a Seismic index: every shard's Seismic index is searched and the results merged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..base.format import IndexFormatError
from ..base.searcher import Searcher
from .backend import import_seismic, quiet_stdout
from .indexer import SEISMIC_FILE

if TYPE_CHECKING:
    from .search_config import SeismicSearchConfig


class SeismicSearcher(Searcher):
    """Approximate top-k search over a ``seismic`` index, on the CPU (``use_gpu`` is ignored).

    Each query's non-zero components are searched in every shard's Seismic index (see
    :class:`~lightning_ir.retrieve.seismic.search_config.SeismicSearchConfig`); the shards' results are merged into
    one top-k. Scores are Seismic's inner products of the stored (float32) vectors.
    """

    index_types = ("seismic",)
    search_config: SeismicSearchConfig

    def _load(self) -> None:
        self.device = torch.device("cpu")
        seismic = import_seismic()
        self._string_type = seismic.get_seismic_string()
        self._components = np.array([str(column) for column in range(self.metadata.dim)], dtype=self._string_type)
        self.shard_indexes: list[tuple[int, Any]] = []
        first_doc = 0
        for shard in self.metadata.shards:
            path = shard.folder(self.index_dir) / SEISMIC_FILE
            if shard.num_embeddings:
                self.shard_indexes.append((first_doc, self._load_shard(seismic, path, shard.num_docs)))
            first_doc += shard.num_docs

    def _load_shard(self, seismic: Any, path: Any, num_docs: int) -> Any:
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: the index at {self.index_dir} is incomplete")
        try:
            with quiet_stdout():
                index = seismic.SeismicIndex.load(str(path))
        except (OSError, ValueError, RuntimeError) as error:
            raise IndexFormatError(f"{path} is not a readable Seismic index ({error})") from error
        if index.len > num_docs or index.dim > self.metadata.dim:
            raise IndexFormatError(
                f"{path} holds {index.len} documents of dim {index.dim}; the shard has {num_docs} documents of dim "
                f"{self.metadata.dim}"
            )
        return index

    def _warn_no_gpu(self) -> None:
        """Seismic searches on the CPU: no warning when there is no GPU."""

    def _search(self, queries: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        if queries.shape[1] != 1:
            raise ValueError(
                f"sparse search takes one vector per query, shape (queries, 1, vocab); got {tuple(queries.shape)}"
            )
        vectors = (queries[:, 0] * mask[:, :1]).cpu()
        num_queries = vectors.shape[0]
        rows, columns = vectors.nonzero(as_tuple=True)
        counts = torch.bincount(rows, minlength=num_queries).numpy()
        boundaries = np.cumsum(counts)[:-1]
        row_components = np.split(self._components[columns.numpy()], boundaries)
        row_values = np.split(vectors[rows, columns].numpy().astype(np.float32, copy=False), boundaries)
        asked = [row for row in range(num_queries) if counts[row]]
        query_ids = np.array([str(row) for row in asked], dtype=self._string_type)
        components = [row_components[row] for row in asked]
        values = [row_values[row] for row in asked]
        all_scores = [np.full((num_queries, k), -np.inf, dtype=np.float32)]
        all_indices = [np.full((num_queries, k), -1, dtype=np.int64)]
        for first_doc, index in self.shard_indexes if asked else []:
            results = index.batch_search(
                query_ids,
                components,
                values,
                k=k,
                query_cut=self.search_config.query_cut,
                heap_factor=self.search_config.heap_factor,
                n_knn=0,
                sorted=True,
                num_threads=self.search_config.num_threads,
            )
            shard_scores, shard_indices = _result_matrix(results, num_queries, k, first_doc)
            all_scores.append(shard_scores)
            all_indices.append(shard_indices)
        scores, positions = torch.from_numpy(np.concatenate(all_scores, axis=1)).topk(k, dim=1)
        return scores, torch.from_numpy(np.concatenate(all_indices, axis=1)).gather(1, positions)


def _result_matrix(
    results: list[list[tuple[str, float, str]]], num_queries: int, k: int, first_doc: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seismic's ``(query id, score, doc id)`` lists as ``(queries, k)`` scores and document indices.

    Missing results have score ``-inf`` and index -1 (so that merging never prefers them).
    """
    scores = np.full((num_queries, k), -np.inf, dtype=np.float32)
    indices = np.full((num_queries, k), -1, dtype=np.int64)
    for found in results:
        if found:
            row = int(found[0][0])
            scores[row, : len(found)] = [score for _, score, _ in found]
            indices[row, : len(found)] = [first_doc + int(doc) for _, _, doc in found]
    return scores, indices
