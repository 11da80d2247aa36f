"""Base classes of the retrieval package and the on-disk index format."""

from __future__ import annotations

from .format import FORMAT_VERSION, IndexFormatError, IndexMetadata, read_metadata
from .index_config import IndexConfig
from .indexer import Indexer
from .model_config import ScoringModelConfig, ScoringSettings
from .search_config import SearchConfig
from .searcher import Searcher, SearchResult

__all__ = [
    "FORMAT_VERSION",
    "IndexConfig",
    "IndexFormatError",
    "IndexMetadata",
    "Indexer",
    "ScoringModelConfig",
    "ScoringSettings",
    "SearchConfig",
    "SearchResult",
    "Searcher",
    "read_metadata",
]
