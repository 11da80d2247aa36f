"""Sparse (SPLADE-style) index and exact search with torch sparse CSR products."""

from __future__ import annotations

from .index_config import SparseIndexConfig
from .indexer import SparseIndexer
from .search_config import SparseSearchConfig
from .searcher import SparseSearcher

__all__ = ["SparseIndexConfig", "SparseIndexer", "SparseSearchConfig", "SparseSearcher"]
