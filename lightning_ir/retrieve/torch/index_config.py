"""Configuration of the exact dense index searched with plain torch."""

from __future__ import annotations

from dataclasses import dataclass

from ...options import StoragePrecision
from ...validation import check_option
from ..base.index_config import IndexConfig
from .indexer import TorchDenseIndexer


@dataclass(frozen=True)
class TorchDenseIndexConfig(IndexConfig):
    """An exact dense index: the document vectors stored as ``.npy`` arrays, searched block by block.

    Works for single-vector and multi-vector (ColBERT-style) models; search with
    :class:`~lightning_ir.retrieve.torch.search_config.TorchDenseSearchConfig`. Scores are always computed in
    float32; a lower storage precision trades a little ranking quality for disk and memory:

    - ``"float32"``: exact scores (4 bytes per dimension).
    - ``"float16"`` / ``"bfloat16"``: 2 bytes per dimension (float16 keeps more mantissa, bfloat16 more range).
    - ``"int8"``: 1 byte per dimension, faiss 8-bit scalar quantisation (each dimension's range learned from a random
      sample of the vectors); needs the ``faiss`` extra.

    Args:
        precision: How the vectors are stored.
    """

    indexer_class = TorchDenseIndexer

    precision: StoragePrecision = "float32"

    def __post_init__(self) -> None:
        check_option(type(self).__name__, "precision", self.precision, StoragePrecision)
