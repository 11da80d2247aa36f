"""Exact dense index and search with plain torch."""

from __future__ import annotations

from .index_config import TorchDenseIndexConfig
from .indexer import TorchDenseIndexer
from .search_config import TorchDenseSearchConfig
from .searcher import TorchDenseSearcher

__all__ = ["TorchDenseIndexConfig", "TorchDenseIndexer", "TorchDenseSearchConfig", "TorchDenseSearcher"]
