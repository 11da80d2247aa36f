"""Configuration of exact dense search with plain torch."""

from __future__ import annotations

from ..base.search_config import SearchConfig
from .searcher import TorchDenseSearcher


class TorchDenseSearchConfig(SearchConfig):
    """Exact search over a :class:`~lightning_ir.retrieve.torch.index_config.TorchDenseIndexConfig` index.

    Args:
        k: Number of documents to retrieve per query.
    """

    searcher_class = TorchDenseSearcher

    def __init__(self, k: int = 10) -> None:
        super().__init__(k=k)
