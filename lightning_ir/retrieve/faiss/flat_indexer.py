"""Indexer of the exact faiss flat inner-product index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .backend import import_faiss
from .indexer import FaissIndexer


class FaissFlatIndexer(FaissIndexer):
    """Writes a faiss ``IndexFlatIP`` (exact inner product search)."""

    index_type = "faiss-flat"

    def _build_index(self, dim: int, num_vectors: int, files: list[Path]) -> Any:
        return import_faiss().IndexFlatIP(dim)
