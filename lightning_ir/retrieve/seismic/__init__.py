"""Approximate sparse (SPLADE-style) index and search with Seismic (optional: ``pip install 'lightning-ir[seismic]'``).

The ``pyseismic-lsr`` package is imported only when an index is built or searched.
"""

from __future__ import annotations

from .index_config import SeismicIndexConfig
from .indexer import SeismicIndexer
from .search_config import SeismicSearchConfig
from .searcher import SeismicSearcher

__all__ = ["SeismicIndexConfig", "SeismicIndexer", "SeismicSearchConfig", "SeismicSearcher"]
