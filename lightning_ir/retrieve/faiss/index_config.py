"""Configurations of faiss indexes: flat (exact), IVF and IVF-PQ."""

from __future__ import annotations

from ..base.index_config import IndexConfig
from ..base.search_config import check_positive
from .flat_indexer import FaissFlatIndexer
from .ivf_indexer import FaissIVFIndexer, FaissIVFPQIndexer


class FaissFlatIndexConfig(IndexConfig):
    """An exact faiss inner-product index (``IndexFlatIP``; vectors normalised for cosine similarity).

    Multi-vector models index every token vector; search then re-scores candidate documents with MaxSim.
    """

    indexer_class = FaissFlatIndexer


class FaissIVFIndexConfig(IndexConfig):
    """An inverted-file faiss index: vectors are assigned to k-means centroids and only the ``n_probe`` closest
    lists are scanned at search time. The coarse quantizer is an HNSW graph over the centroids.

    Args:
        num_train_embeddings: Number of vectors, sampled at random, to train the centroids on. Defaults to all
            vectors, at most ``256 * num_centroids``.
        num_centroids: Number of centroids (inverted lists). Capped with a warning when there are fewer than 39
            training vectors per centroid.
        ef_construction: Size of the candidate list while building the HNSW graph over the centroids.
    """

    indexer_class = FaissIVFIndexer

    def __init__(
        self, num_train_embeddings: int | None = None, num_centroids: int = 262144, ef_construction: int = 40
    ) -> None:
        if num_train_embeddings is not None:
            check_positive("num_train_embeddings", num_train_embeddings)
        self.num_train_embeddings = num_train_embeddings
        self.num_centroids = check_positive("num_centroids", num_centroids)
        self.ef_construction = check_positive("ef_construction", ef_construction)


class FaissIVFPQIndexConfig(FaissIVFIndexConfig):
    """An IVF index whose vectors are compressed by product quantisation (``num_subquantizers`` codes of
    ``n_bits`` bits per vector; ``dim`` must be divisible by ``num_subquantizers``).

    Args:
        num_train_embeddings: Number of vectors, sampled at random, to train centroids and codebooks on.
        num_centroids: Number of centroids (inverted lists).
        ef_construction: Size of the candidate list while building the HNSW graph over the centroids.
        num_subquantizers: Number of sub-vectors each vector is split into.
        n_bits: Bits per sub-vector code.
    """

    indexer_class = FaissIVFPQIndexer

    def __init__(
        self,
        num_train_embeddings: int | None = None,
        num_centroids: int = 262144,
        ef_construction: int = 40,
        num_subquantizers: int = 16,
        n_bits: int = 8,
    ) -> None:
        super().__init__(num_train_embeddings, num_centroids, ef_construction)
        self.num_subquantizers = check_positive("num_subquantizers", num_subquantizers)
        self.n_bits = check_positive("n_bits", n_bits)
