"""BM25 first stage on bm25s: index a collection's texts, search query texts, write TREC runs.

Needs the ``bm25`` extra (``pip install 'lightning-ir[bm25]'``: bm25s and PyStemmer), imported when first used.
"""

from __future__ import annotations

from .index_config import BM25IndexConfig
from .indexer import BM25Indexer
from .search_config import BM25SearchConfig
from .searcher import BM25Searcher

__all__ = ["BM25IndexConfig", "BM25Indexer", "BM25SearchConfig", "BM25Searcher"]
