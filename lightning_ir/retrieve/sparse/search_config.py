"""Configuration of exact search over a sparse index."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.search_config import SearchConfig
from .searcher import SparseSearcher


@dataclass(frozen=True)
class SparseSearchConfig(SearchConfig):
    """Exact top-k search over a :class:`~lightning_ir.retrieve.sparse.index_config.SparseIndexConfig` index.

    Args:
        k: Number of documents to retrieve per query.
    """

    searcher_class = SparseSearcher
