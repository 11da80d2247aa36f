"""Configuration of exact search over a sparse index."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.search_config import SearchConfig, check_flag
from .searcher import SparseSearcher


@dataclass(frozen=True)
class SparseSearchConfig(SearchConfig):
    """Exact top-k search over a :class:`~lightning_ir.retrieve.sparse.index_config.SparseIndexConfig` index.

    Args:
        k: Number of documents to retrieve per query.
        in_memory: Load the index's entries into memory once (fastest). With False, every search reads them from
            disk block by block (explicit reads, not a memory map), so an index larger than memory can be searched.
    """

    searcher_class = SparseSearcher

    in_memory: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        check_flag(type(self).__name__, "in_memory", self.in_memory)
