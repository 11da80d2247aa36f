"""Indexers of the faiss IVF and IVF-PQ indexes (HNSW coarse quantizer, randomly sampled training vectors)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.sampling import sample_vectors
from .backend import import_faiss
from .indexer import FaissIndexer

if TYPE_CHECKING:
    from .index_config import FaissIVFIndexConfig, FaissIVFPQIndexConfig

logger = logging.getLogger(__name__)

MIN_POINTS_PER_CENTROID = 39
MAX_POINTS_PER_CENTROID = 256


class FaissIVFIndexer(FaissIndexer):
    """Writes a faiss IVF index with uncompressed vectors (``IVF{num_centroids}_HNSW32,Flat``)."""

    index_type = "faiss-ivf"
    index_config: FaissIVFIndexConfig

    def _build_index(self, dim: int, num_vectors: int, files: list[Path]) -> Any:
        faiss = import_faiss()
        num_train = self._num_train(num_vectors)
        num_centroids = self._num_centroids(num_train)
        self._check_trainable(dim, num_train)
        index = faiss.index_factory(dim, self._factory_string(num_centroids), faiss.METRIC_INNER_PRODUCT)
        ivf = faiss.extract_index_ivf(index)
        faiss.downcast_index(ivf.quantizer).hnsw.efConstruction = self.index_config.ef_construction
        clustering_index = faiss.IndexFlatL2(dim)
        ivf.clustering_index = clustering_index
        sample = sample_vectors(files, num_train)
        if self.verbose:
            logger.info("training %d centroids on %d random vectors", num_centroids, num_train)
        index.train(sample)
        ivf.clustering_index = None
        return index

    def _factory_string(self, num_centroids: int) -> str:
        return f"IVF{num_centroids}_HNSW32,Flat"

    def _check_trainable(self, dim: int, num_train: int) -> None:
        """Raises a ValueError when the index cannot be trained on these vectors."""

    def _num_train(self, num_vectors: int) -> int:
        requested = self.index_config.num_train_embeddings
        if requested is None:
            requested = MAX_POINTS_PER_CENTROID * self.index_config.num_centroids
        return min(requested, num_vectors)

    def _num_centroids(self, num_train: int) -> int:
        num_centroids = self.index_config.num_centroids
        cap = max(1, num_train // MIN_POINTS_PER_CENTROID)
        if num_centroids > cap:
            warnings.warn(
                f"{type(self).__name__}: num_centroids={num_centroids} is too many for {num_train} training vectors "
                f"(at least {MIN_POINTS_PER_CENTROID} per centroid); using {cap} centroids for {self.index_dir}",
                stacklevel=2,
            )
            num_centroids = cap
        return num_centroids


class FaissIVFPQIndexer(FaissIVFIndexer):
    """Writes a faiss IVF index with product-quantised vectors (``IVF{num_centroids}_HNSW32,PQ{m}x{n_bits}``).

    The float32 vectors are kept in ``embeddings.npy`` as well: search reads the candidates' vectors from it to
    re-score the quantised candidates exactly (``FaissSearchConfig(imputation_strategy=None)``, the default).
    """

    index_type = "faiss-ivfpq"
    keeps_embeddings = True
    index_config: FaissIVFPQIndexConfig

    def _factory_string(self, num_centroids: int) -> str:
        return f"IVF{num_centroids}_HNSW32,PQ{self.index_config.num_subquantizers}x{self.index_config.n_bits}"

    def _check_trainable(self, dim: int, num_train: int) -> None:
        num_subquantizers, n_bits = self.index_config.num_subquantizers, self.index_config.n_bits
        if dim % num_subquantizers:
            raise ValueError(
                f"FaissIVFPQIndexConfig: embedding dim {dim} is not divisible by num_subquantizers={num_subquantizers}"
            )
        if num_train < 2**n_bits:
            raise ValueError(
                f"FaissIVFPQIndexConfig: n_bits={n_bits} needs at least {2**n_bits} training vectors, got {num_train}"
            )
