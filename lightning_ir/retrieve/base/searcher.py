"""Base class of all searchers and the ``SearchResult`` they return."""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch

from ...validation import check_positive
from .doc_id_list import DocIdList
from .format import IndexMetadata, read_metadata
from .model_config import ScoringModelConfig
from .model_identity import ModelIdentity, check_model_identity
from .scoring import normalize
from .search_config import SearchConfig


@dataclass
class SearchResult:
    """Top-k documents per query, best first.

    Unpacks like a tuple: ``scores, doc_ids = searcher.search(...)``.

    Attributes:
        scores: One ``(n_i,)`` float tensor per query, sorted descending, ``n_i <= min(k, num_docs)``
            (approximate indexes may find fewer).
        doc_ids: One list of ``n_i`` document ids per query, in the order of ``scores``.
    """

    scores: list[torch.Tensor]
    doc_ids: list[list[str]]

    def __iter__(self) -> Iterator[list]:
        yield self.scores
        yield self.doc_ids

    def __len__(self) -> int:
        return len(self.doc_ids)


class Searcher(ABC):
    """Loads an index directory and retrieves the top-k documents for batches of query embeddings.

    An index made of shards (incremental adds, distributed indexing) is searched as one: document positions count
    across the shards in the order ``config.json`` lists them.

    Args:
        index_dir: The index directory written by an :class:`~lightning_ir.retrieve.base.indexer.Indexer`.
        search_config: The search configuration (``k`` and searcher-specific options).
        model_config: The bi-encoder configuration of the query encoder; its ``model_type`` must match the
            index's. ``None`` skips that check. Scoring settings are taken from the index.
        use_gpu: Search on a CUDA device when one is available (otherwise a warning is issued).
        model_identity: The query model's identity (``ModelIdentity.of(model)``); when given, it must match the
            identity stored with the index (same weights), since other weights give meaningless rankings.
        allow_model_mismatch: Only warn when ``model_identity`` differs from the index's.

    Raises:
        FileNotFoundError: If the index directory or one of its files is missing.
        IndexFormatError: If a file is corrupt, sizes do not match, vector counts do not fit the index kind, or stored
            vectors are not finite.
        ModelMismatchError: If the index was built with other weights (see ``model_identity``).
        ValueError: If the index was built for another model type or by an indexer this searcher cannot read.
    """

    index_types: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        index_dir: str | Path,
        search_config: SearchConfig,
        model_config: ScoringModelConfig | None,
        use_gpu: bool = False,
        model_identity: ModelIdentity | None = None,
        allow_model_mismatch: bool = False,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.search_config = search_config
        self.metadata: IndexMetadata = read_metadata(self.index_dir)
        self._check_index(model_config)
        check_model_identity(self.metadata.model_identity, model_identity, self.index_dir, allow_model_mismatch)
        shards = [(shard.folder(self.index_dir), shard.num_docs) for shard in self.metadata.shards]
        self.doc_ids = DocIdList.read(shards)
        self.use_gpu = use_gpu
        self.device = torch.device("cpu")
        if use_gpu and torch.cuda.is_available():
            self.device = torch.device("cuda")
        elif use_gpu:
            self._warn_no_gpu()
        self._load()

    @property
    def num_docs(self) -> int:
        """Number of indexed documents."""
        return self.metadata.num_docs

    def search(self, query_embeddings: torch.Tensor, query_scoring_mask: torch.Tensor) -> SearchResult:
        """Retrieves the top-k documents for every query.

        Args:
            query_embeddings: ``(queries, seq or 1, dim)`` query embeddings.
            query_scoring_mask: ``(queries, seq or 1)`` bool, True for the vectors that take part in scoring.

        Returns:
            The :class:`SearchResult` (scores and doc ids per query, best first).

        Raises:
            ValueError: If ``k <= 0`` or the shapes do not fit the index.
        """
        k = check_positive(type(self.search_config).__name__, "k", self.search_config.k)
        queries, mask = self._check_queries(query_embeddings, query_scoring_mask)
        if queries.shape[0] == 0:
            return SearchResult(scores=[], doc_ids=[])
        scores, indices = self._search(queries, mask, min(k, self.num_docs))
        return self._result(scores.cpu(), indices.cpu())

    def _check_index(self, model_config: ScoringModelConfig | None) -> None:
        metadata = self.metadata
        if metadata.index_type not in self.index_types:
            raise ValueError(
                f"the index at {self.index_dir} is a {metadata.index_type!r} index; {type(self).__name__} reads "
                f"{list(self.index_types)} indexes (pick the search config that matches the index config)"
            )
        if model_config is None:
            return
        model_type = getattr(model_config, "model_type", None)
        if model_type != metadata.scoring.model_type:
            raise ValueError(
                f"the index at {self.index_dir} was built for model type {metadata.scoring.model_type!r}, but the "
                f"query model has model type {model_type!r}; re-index with this model"
            )
        for name in ("similarity_function", "query_aggregation_function"):
            value = getattr(model_config, name, None)
            if value is not None and value != getattr(metadata.scoring, name):
                warnings.warn(
                    f"the query model's {name}={value!r} differs from {getattr(metadata.scoring, name)!r} stored "
                    f"with the index at {self.index_dir}; scoring uses the index's setting",
                    stacklevel=3,
                )

    def _check_queries(self, embeddings: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if embeddings.ndim != 3:
            raise ValueError(f"query_embeddings must be (queries, seq or 1, dim), got {tuple(embeddings.shape)}")
        if tuple(mask.shape) != tuple(embeddings.shape[:2]):
            raise ValueError(
                f"query_scoring_mask shape {tuple(mask.shape)} does not match query_embeddings shape "
                f"{tuple(embeddings.shape)}"
            )
        if embeddings.shape[2] != self.metadata.dim:
            raise ValueError(
                f"query embedding dim {embeddings.shape[2]} does not match dim {self.metadata.dim} of the index at "
                f"{self.index_dir}"
            )
        queries = embeddings.detach().to(self.device, torch.float32)
        if self.metadata.normalized:
            queries = normalize(queries)
        return queries, mask.detach().to(self.device, torch.bool)

    def _result(self, scores: torch.Tensor, indices: torch.Tensor) -> SearchResult:
        result_scores: list[torch.Tensor] = []
        result_ids: list[list[str]] = []
        for row_scores, row_indices in zip(scores, indices, strict=True):
            valid = row_indices >= 0
            row_scores, row_indices = row_scores[valid], row_indices[valid]
            result_scores.append(row_scores)
            result_ids.append([self.doc_ids[index] for index in row_indices.tolist()])
        return SearchResult(scores=result_scores, doc_ids=result_ids)

    def _warn_no_gpu(self) -> None:
        warnings.warn(
            f"{type(self).__name__}: use_gpu=True but no usable GPU is available; searching on the CPU", stacklevel=3
        )

    @abstractmethod
    def _load(self) -> None:
        """Loads and validates the index data (``self.metadata`` and ``self.doc_ids`` are set)."""

    @abstractmethod
    def _search(self, queries: torch.Tensor, mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns ``(scores, doc indices)``, each ``(queries, k)``, best first; index -1 marks a missing result.

        ``queries`` are float32 on ``self.device`` (normalised for cosine), ``mask`` bool.
        """
