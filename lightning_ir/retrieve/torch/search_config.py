"""Configuration of exact dense search with plain torch."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.search_config import SearchConfig, check_flag
from .searcher import TorchDenseSearcher


@dataclass(frozen=True)
class TorchDenseSearchConfig(SearchConfig):
    """Exact search over a :class:`~lightning_ir.retrieve.torch.index_config.TorchDenseIndexConfig` index.

    Args:
        k: Number of documents to retrieve per query.
        in_memory: Load the stored vectors into memory once (fastest; memory is the index's size on disk). With
            False, every search reads them from disk block by block (explicit reads, not a memory map), so an index
            larger than memory can be searched with a bounded working set, at the speed of the disk (or the page
            cache).
    """

    searcher_class = TorchDenseSearcher

    in_memory: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        check_flag(type(self).__name__, "in_memory", self.in_memory)
