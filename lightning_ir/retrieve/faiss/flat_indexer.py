"""Indexer of the exact faiss flat inner-product index."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import import_faiss
from .indexer import FaissIndexer


class FaissFlatIndexer(FaissIndexer):
    """Writes a faiss ``IndexFlatIP`` (exact inner product search)."""

    index_type = "faiss-flat"

    def _build_index(self, vectors: np.ndarray) -> Any:
        return import_faiss().IndexFlatIP(vectors.shape[1])
