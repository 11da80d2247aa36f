"""Configuration of the exact dense index searched with plain torch."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.index_config import IndexConfig
from .indexer import TorchDenseIndexer


@dataclass(frozen=True)
class TorchDenseIndexConfig(IndexConfig):
    """An exact dense index: the document vectors stored as a float32 ``.npy`` array.

    Works for single-vector and multi-vector (ColBERT-style) models; search with
    :class:`~lightning_ir.retrieve.torch.search_config.TorchDenseSearchConfig`.
    """

    indexer_class = TorchDenseIndexer
