"""Configuration of exact dense search with plain torch."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.search_config import SearchConfig
from .searcher import TorchDenseSearcher


@dataclass(frozen=True)
class TorchDenseSearchConfig(SearchConfig):
    """Exact search over a :class:`~lightning_ir.retrieve.torch.index_config.TorchDenseIndexConfig` index.

    Args:
        k: Number of documents to retrieve per query.
    """

    searcher_class = TorchDenseSearcher
