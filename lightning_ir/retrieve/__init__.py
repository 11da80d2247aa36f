"""Indexes and searchers: exact torch, faiss (flat, IVF, IVF-PQ) and sparse. Never imports Lightning.

Build an index from document embeddings and search it with query embeddings::

    indexer = index_config.indexer_class(index_dir, index_config, model_config)
    indexer.add(doc_ids, doc_embeddings, doc_scoring_mask)  # per batch
    indexer.save()

    searcher = search_config.searcher_class(index_dir, search_config, model_config)
    scores, doc_ids = searcher.search(query_embeddings, query_scoring_mask)
"""

from __future__ import annotations

from .base import (
    IndexConfig,
    Indexer,
    IndexFormatError,
    IndexMetadata,
    ScoringModelConfig,
    SearchConfig,
    Searcher,
    SearchResult,
    read_metadata,
)
from .bm25 import BM25IndexConfig, BM25Indexer, BM25SearchConfig, BM25Searcher
from .faiss import (
    FaissFlatIndexConfig,
    FaissFlatIndexer,
    FaissIndexer,
    FaissIVFIndexConfig,
    FaissIVFIndexer,
    FaissIVFPQIndexConfig,
    FaissIVFPQIndexer,
    FaissSearchConfig,
    FaissSearcher,
)
from .seismic import SeismicIndexConfig, SeismicIndexer, SeismicSearchConfig, SeismicSearcher
from .sparse import SparseIndexConfig, SparseIndexer, SparseSearchConfig, SparseSearcher
from .torch import TorchDenseIndexConfig, TorchDenseIndexer, TorchDenseSearchConfig, TorchDenseSearcher

__all__ = [
    "BM25IndexConfig",
    "BM25Indexer",
    "BM25SearchConfig",
    "BM25Searcher",
    "FaissFlatIndexConfig",
    "FaissFlatIndexer",
    "FaissIVFIndexConfig",
    "FaissIVFIndexer",
    "FaissIVFPQIndexConfig",
    "FaissIVFPQIndexer",
    "FaissIndexer",
    "FaissSearchConfig",
    "FaissSearcher",
    "IndexConfig",
    "IndexFormatError",
    "IndexMetadata",
    "Indexer",
    "ScoringModelConfig",
    "SearchConfig",
    "SearchResult",
    "Searcher",
    "SeismicIndexConfig",
    "SeismicIndexer",
    "SeismicSearchConfig",
    "SeismicSearcher",
    "SparseIndexConfig",
    "SparseIndexer",
    "SparseSearchConfig",
    "SparseSearcher",
    "TorchDenseIndexConfig",
    "TorchDenseIndexer",
    "TorchDenseSearchConfig",
    "TorchDenseSearcher",
    "read_metadata",
]
