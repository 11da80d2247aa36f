"""Search over faiss indexes: direct for single-vector indexes, candidate generation + re-scoring for multi-vector."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..base.format import EMBEDDINGS_FILE, IndexFormatError, check_finite_file, load_doc_lengths, open_array
from ..base.npy_file import NpyReader
from ..base.scoring import aggregate_query_tokens, doc_offsets, gather_doc_positions, score_documents
from ..base.searcher import Searcher
from .backend import import_faiss
from .indexer import FAISS_INDEX_FILE

if TYPE_CHECKING:
    from .search_config import FaissSearchConfig


class FaissSearcher(Searcher):
    """Searches ``faiss-flat``, ``faiss-ivf`` and ``faiss-ivfpq`` indexes.

    Single-vector queries on single-vector indexes go straight to faiss. Otherwise every masked query vector
    retrieves its ``candidate_k`` nearest document vectors; their documents are scored as set by
    ``imputation_strategy`` (see :class:`~lightning_ir.retrieve.faiss.search_config.FaissSearchConfig`).
    """

    index_types = ("faiss-flat", "faiss-ivf", "faiss-ivfpq")
    search_config: FaissSearchConfig

    def _load(self) -> None:
        faiss = import_faiss()
        metadata = self.metadata
        self.indexes: list[Any] = []
        self.stored: list[NpyReader] = []
        keeps_vectors = metadata.multi_vector or metadata.index_type == "faiss-ivfpq"
        lengths: list[np.ndarray] = []
        for shard in metadata.shards:
            folder = shard.folder(self.index_dir)
            index = self._read_index(faiss, folder / FAISS_INDEX_FILE, shard.num_embeddings)
            if keeps_vectors:
                shape = (shard.num_embeddings, metadata.dim)
                reader = open_array(folder / EMBEDDINGS_FILE, shape, np.float32)
                check_finite_file(reader)
                self.stored.append(reader)
            elif metadata.index_type == "faiss-flat":
                self._check_flat_vectors(index, folder / FAISS_INDEX_FILE)
            self.indexes.append(self._configure(faiss, index))
            lengths.append(load_doc_lengths(folder, shard.num_docs, shard.num_embeddings, metadata.multi_vector))
        self.doc_lengths = torch.from_numpy(np.concatenate(lengths))
        sizes = torch.tensor([shard.num_embeddings for shard in metadata.shards])
        self.shard_starts = torch.cat([torch.zeros(1, dtype=torch.int64), torch.cumsum(sizes, 0)])
        self.doc_offsets = doc_offsets(self.doc_lengths)
        self.token_to_doc = torch.repeat_interleave(torch.arange(metadata.num_docs), self.doc_lengths)
        self.device = torch.device("cpu")

    def _read_index(self, faiss: Any, path: Path, num_embeddings: int) -> Any:
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: the index at {self.index_dir} is incomplete")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as error:
            raise IndexFormatError(f"{path} is corrupt (faiss could not read it: {error})") from error
        if index.ntotal != num_embeddings or index.d != self.metadata.dim:
            raise IndexFormatError(
                f"{path} holds {index.ntotal} vectors of dim {index.d}, expected {num_embeddings} of dim "
                f"{self.metadata.dim}"
            )
        return index

    @property
    def embeddings(self) -> list[NpyReader] | None:
        """The readers of the shards' stored float32 vectors (None when the index keeps none)."""
        return self.stored or None

    @staticmethod
    def _check_flat_vectors(index: Any, path: Path, block: int = 1 << 16) -> None:
        """Refuses a flat faiss index holding NaN or infinite vectors (read back block by block)."""
        for start in range(0, index.ntotal, block):
            vectors = index.reconstruct_n(start, min(block, index.ntotal - start))
            finite = np.isfinite(vectors).all(axis=1)
            if not finite.all():
                row = start + int(np.argmin(finite))
                raise IndexFormatError(f"{path} holds a non-finite vector (NaN or inf) in row {row}; rebuild the index")

    def _configure(self, faiss: Any, index: Any) -> Any:
        ivf = faiss.try_extract_index_ivf(index)
        if ivf is not None:
            ivf.nprobe = self.search_config.n_probe
            quantizer = faiss.downcast_index(ivf.quantizer)
            if hasattr(quantizer, "hnsw"):
                quantizer.hnsw.efSearch = max(self.search_config.ef_search, self.search_config.n_probe)
            if self.search_config.imputation_strategy == "gather":
                ivf.make_direct_map()
        if self.use_gpu and torch.cuda.is_available():
            if hasattr(faiss, "StandardGpuResources") and faiss.get_num_gpus() > 0:
                self._gpu_resources = faiss.StandardGpuResources()
                return faiss.index_cpu_to_gpu(self._gpu_resources, 0, index)
            warnings.warn(
                "FaissSearcher: use_gpu=True but this faiss has no GPU support; searching on the CPU", stacklevel=3
            )
        return index

    def _search(self, queries: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        queries, mask = queries.cpu(), mask.cpu()
        one_per_doc = self.metadata.num_embeddings == self.metadata.num_docs and not self.metadata.multi_vector
        if one_per_doc and queries.shape[1] == 1 and bool(mask.all()):
            if self.embeddings is not None and self.search_config.imputation_strategy is None:
                return self._search_rescored(queries[:, 0], k)
            return self._index_search(queries[:, 0].numpy(), k)
        return self._search_tokens(queries, mask, k)

    def _index_search(self, vectors: np.ndarray, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``n`` nearest stored vectors of each of ``vectors`` over all shards: ``(scores, positions)``, -1 if none.

        Every shard's faiss index is searched for ``n`` and the results merged, which gives what one index holding
        all shards' vectors gives (the shards share their trained centroids and codebooks).
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        all_scores, all_ids = [], []
        for index, start in zip(self.indexes, self.shard_starts.tolist(), strict=False):
            scores, ids = index.search(vectors, n)
            ids = torch.from_numpy(ids).to(torch.int64)
            all_scores.append(torch.from_numpy(scores).masked_fill(ids < 0, float("-inf")))
            all_ids.append(torch.where(ids >= 0, ids + start, -1))
        if len(all_ids) == 1:
            return all_scores[0], all_ids[0]
        scores, positions = torch.cat(all_scores, dim=1).topk(n, dim=1)
        return scores, torch.cat(all_ids, dim=1).gather(1, positions)

    def _search_rescored(self, queries: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Single-vector search of a compressed index: ``candidate_k`` candidates re-scored with the stored vectors."""
        assert self.embeddings is not None
        num_candidates = min(max(k, self.search_config.candidate_k), self.num_docs)
        _, candidate_ids = self._index_search(queries.numpy(), num_candidates)
        vectors = torch.from_numpy(self._vectors(candidate_ids.clamp(min=0).reshape(-1)))
        scores = torch.einsum("qcd,qd->qc", vectors.view(*candidate_ids.shape, -1), queries)
        scores.masked_fill_(candidate_ids < 0, float("-inf"))
        best, positions = scores.topk(k, dim=1)
        return best, candidate_ids.gather(1, positions)

    def _vectors(self, positions: torch.Tensor) -> np.ndarray:
        """The stored float32 vectors at ``positions`` (read from the shards' files with explicit reads)."""
        return self._per_shard(positions, lambda shard, rows: self.stored[shard].read_rows(rows))

    def _reconstruct(self, positions: torch.Tensor) -> np.ndarray:
        """The vectors at ``positions`` as the shards' faiss indexes store them."""
        return self._per_shard(positions, lambda shard, rows: self.indexes[shard].reconstruct_batch(rows))

    def _per_shard(self, positions: torch.Tensor, read: Callable[[int, np.ndarray], np.ndarray]) -> np.ndarray:
        flat = positions.numpy().astype(np.int64)
        vectors = np.empty((flat.size, self.metadata.dim), dtype=np.float32)
        shard_of = np.searchsorted(self.shard_starts.numpy(), flat, side="right") - 1
        for shard in np.unique(shard_of).tolist():
            selected = shard_of == shard
            vectors[selected] = read(shard, flat[selected] - int(self.shard_starts[shard]))
        return vectors

    def _search_tokens(self, queries: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Candidate generation from the query vectors' nearest document vectors, then scoring of the candidates."""
        tokens = np.ascontiguousarray(queries[mask].numpy())
        token_scores, token_ids = self._index_search(
            tokens, min(self.search_config.candidate_k, self.metadata.num_embeddings)
        )
        counts = mask.sum(dim=1).tolist()
        all_scores = torch.full((queries.shape[0], k), float("-inf"))
        all_indices = torch.full((queries.shape[0], k), -1, dtype=torch.int64)
        start = 0
        for query_index, count in enumerate(counts):
            ids, scores = token_ids[start : start + count], token_scores[start : start + count]
            start += count
            valid = ids >= 0
            candidates = torch.unique(self.token_to_doc[ids[valid]])
            if candidates.numel() == 0:
                continue
            if self.search_config.imputation_strategy == "min":
                doc_scores = self._impute_min(scores, ids, valid, candidates)
            else:
                doc_scores = self._rescore(queries[query_index], mask[query_index], candidates)
            best, positions = doc_scores.topk(min(k, candidates.numel()))
            all_scores[query_index, : best.numel()] = best
            all_indices[query_index, : best.numel()] = candidates[positions]
        return all_scores, all_indices

    def _rescore(self, query: torch.Tensor, mask: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """Exact MaxSim of one query ``(seq, dim)`` against the candidate documents' vectors."""
        positions, offsets, lengths = gather_doc_positions(self.doc_offsets, self.doc_lengths, candidates)
        if self.search_config.imputation_strategy == "gather" or self.embeddings is None:
            doc_tokens = torch.from_numpy(self._reconstruct(positions))
        else:
            doc_tokens = torch.from_numpy(self._vectors(positions))
        aggregation = self.metadata.scoring.query_aggregation_function
        return score_documents(query[None], mask[None], doc_tokens, offsets, lengths, aggregation)[0]

    def _impute_min(
        self, scores: torch.Tensor, ids: torch.Tensor, valid: torch.Tensor, candidates: torch.Tensor
    ) -> torch.Tensor:
        """Per query vector, the best retrieved score of each candidate; the vector's minimum where none was."""
        row_min = scores.masked_fill(~valid, float("inf")).amin(dim=1, keepdim=True)
        token_scores = row_min.expand(-1, candidates.numel()).clone()
        columns = torch.searchsorted(candidates, self.token_to_doc[ids.clamp(min=0)])
        token_scores.scatter_reduce_(
            1, columns.clamp(max=candidates.numel() - 1), scores.masked_fill(~valid, float("-inf")), "amax"
        )
        query_mask = torch.ones(1, scores.shape[0], dtype=torch.bool)
        aggregation = self.metadata.scoring.query_aggregation_function
        return aggregate_query_tokens(token_scores[None], query_mask, aggregation)[0]
