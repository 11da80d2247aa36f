"""Configurations of faiss indexes: flat (exact), IVF and IVF-PQ."""

from __future__ import annotations

from dataclasses import dataclass

from ...validation import check_positive
from ..base.index_config import IndexConfig
from .flat_indexer import FaissFlatIndexer
from .ivf_indexer import FaissIVFIndexer, FaissIVFPQIndexer


@dataclass(frozen=True)
class FaissFlatIndexConfig(IndexConfig):
    """An exact faiss inner-product index (``IndexFlatIP``; vectors normalised for cosine similarity).

    Multi-vector models index every token vector; search then re-scores candidate documents with MaxSim.
    """

    indexer_class = FaissFlatIndexer


@dataclass(frozen=True)
class FaissIVFIndexConfig(IndexConfig):
    """An inverted-file faiss index: only the ``n_probe`` lists closest to a query are scanned at search time.

    Vectors are assigned to k-means centroids (one inverted list each); the coarse quantizer is an HNSW graph over
    the centroids.

    Args:
        num_train_embeddings: Number of vectors, sampled at random, to train the centroids on. Defaults to all
            vectors, at most ``256 * num_centroids``.
        num_centroids: Number of centroids (inverted lists). Capped with a warning when there are fewer than 39
            training vectors per centroid.
        ef_construction: Size of the candidate list while building the HNSW graph over the centroids.
    """

    indexer_class = FaissIVFIndexer

    num_train_embeddings: int | None = None
    num_centroids: int = 262144
    ef_construction: int = 40

    def __post_init__(self) -> None:
        owner = type(self).__name__
        if self.num_train_embeddings is not None:
            object.__setattr__(
                self, "num_train_embeddings", check_positive(owner, "num_train_embeddings", self.num_train_embeddings)
            )
        object.__setattr__(self, "num_centroids", check_positive(owner, "num_centroids", self.num_centroids))
        object.__setattr__(self, "ef_construction", check_positive(owner, "ef_construction", self.ef_construction))


@dataclass(frozen=True)
class FaissIVFPQIndexConfig(FaissIVFIndexConfig):
    """An IVF index whose vectors are compressed by product quantisation.

    Each vector is stored as ``num_subquantizers`` codes of ``n_bits`` bits; ``dim`` must be divisible by
    ``num_subquantizers``.

    Args:
        num_train_embeddings: Number of vectors, sampled at random, to train centroids and codebooks on.
        num_centroids: Number of centroids (inverted lists).
        ef_construction: Size of the candidate list while building the HNSW graph over the centroids.
        num_subquantizers: Number of sub-vectors each vector is split into.
        n_bits: Bits per sub-vector code.
    """

    indexer_class = FaissIVFPQIndexer

    num_subquantizers: int = 16
    n_bits: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "num_subquantizers", check_positive(type(self).__name__, "num_subquantizers", self.num_subquantizers)
        )
        object.__setattr__(self, "n_bits", check_positive(type(self).__name__, "n_bits", self.n_bits))
