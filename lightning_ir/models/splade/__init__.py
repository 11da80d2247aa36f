"""SPLADE-style learned sparse bi-encoders, and the sentence-transformers ``SparseEncoder`` folders they load."""

from .config import SpladeConfig
from .model import SpladeModel
from .pooling import pool_vocabulary
from .sparse_encoder import INFERENCE_FREE_SPLADE_LAYOUT, SPLADE_LAYOUT, read_sparse_encoder

__all__ = [
    "INFERENCE_FREE_SPLADE_LAYOUT",
    "SPLADE_LAYOUT",
    "SpladeConfig",
    "SpladeModel",
    "pool_vocabulary",
    "read_sparse_encoder",
]
