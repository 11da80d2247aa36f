"""faiss indexes (flat, IVF, IVF-PQ) and their searcher; faiss itself is imported only when used."""

from __future__ import annotations

from .flat_indexer import FaissFlatIndexer
from .index_config import FaissFlatIndexConfig, FaissIVFIndexConfig, FaissIVFPQIndexConfig
from .indexer import FaissIndexer
from .ivf_indexer import FaissIVFIndexer, FaissIVFPQIndexer
from .search_config import FaissSearchConfig
from .searcher import FaissSearcher

__all__ = [
    "FaissFlatIndexConfig",
    "FaissFlatIndexer",
    "FaissIVFIndexConfig",
    "FaissIVFIndexer",
    "FaissIVFPQIndexConfig",
    "FaissIVFPQIndexer",
    "FaissIndexer",
    "FaissSearchConfig",
    "FaissSearcher",
]
