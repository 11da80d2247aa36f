"""Configuration of the sparse (SPLADE-style) index."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.index_config import IndexConfig
from .indexer import SparseIndexer


@dataclass(frozen=True)
class SparseIndexConfig(IndexConfig):
    """An exact sparse index: one vocabulary-sized, mostly-zero vector per document, stored as a CSR matrix.

    Search with :class:`~lightning_ir.retrieve.sparse.search_config.SparseSearchConfig`.
    """

    indexer_class = SparseIndexer
