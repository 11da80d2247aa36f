"""Storage precision of dense vectors: float32, float16, bfloat16 or int8 (faiss 8-bit scalar quantisation).

Vectors are encoded when they are stored and decoded to float32 block by block when they are scored, so similarities
are always computed in float32. ``.npy`` has no bfloat16 type: bfloat16 vectors are stored as their raw 16-bit
patterns (``uint16``). int8 vectors are faiss ``ScalarQuantizer`` codes (``QT_8bit``: one byte per dimension, each
dimension's range learned from a training sample); the trained quantizer is stored once per index, as an empty faiss
``IndexScalarQuantizer``, and adds to the index reuse it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import numpy as np
import torch

from ...options import StoragePrecision
from .errors import IndexFormatError

QUANTIZER_FILE = "scalar_quantizer.faiss"
"""The trained faiss scalar quantizer of an int8 index (in the index folder)."""

QUANTIZER_TRAIN_SIZE = 1 << 16
"""Vectors, sampled at random, that the int8 quantizer learns each dimension's range from."""

STORAGE_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype(np.float32),
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(np.uint16),
    "int8": np.dtype(np.uint8),
}
"""The ``.npy`` element type of each storage precision."""

TORCH_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int8": torch.uint8,
}
"""The torch element type stored vectors are held in."""


def storage_dtype(precision: str) -> np.dtype:
    """The ``.npy`` element type of a storage precision.

    Raises:
        IndexFormatError: For a precision this version does not know (from an index's ``config.json``).
    """
    if precision not in get_args(StoragePrecision):
        raise IndexFormatError(f"unknown storage precision {precision!r}; known: {list(get_args(StoragePrecision))}")
    return STORAGE_DTYPES[precision]


def is_trained(precision: str) -> bool:
    """Whether vectors of this precision need a trained quantizer (int8)."""
    return precision == "int8"


def encode(vectors: np.ndarray, precision: str) -> np.ndarray:
    """Encodes ``(n, dim)`` float32 vectors in an untrained precision (float32, float16, bfloat16)."""
    if precision == "float32":
        return vectors
    if precision == "float16":
        return vectors.astype(np.float16)
    if precision == "bfloat16":
        rounded = torch.from_numpy(np.ascontiguousarray(vectors)).to(torch.bfloat16)
        return rounded.view(torch.int16).numpy().view(np.uint16)
    raise ValueError(f"{precision} vectors are encoded with a trained quantizer")


def as_tensor(stored: np.ndarray, precision: str) -> torch.Tensor:
    """Stored vectors as a torch tensor of the precision's type, sharing memory with ``stored``."""
    if precision == "bfloat16":
        return torch.from_numpy(stored.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(stored)


class ScalarQuantizer:
    """The faiss 8-bit scalar quantizer of an int8 index (an empty, trained ``IndexScalarQuantizer``).

    Args:
        index: The trained faiss index.
    """

    def __init__(self, index: Any) -> None:
        self.index = index

    @classmethod
    def train(cls, sample: np.ndarray) -> ScalarQuantizer:
        """Learns each dimension's range from ``(n, dim)`` float32 vectors."""
        faiss = _import_faiss()
        index = faiss.IndexScalarQuantizer(sample.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> ScalarQuantizer:
        """Reads a stored quantizer.

        Raises:
            FileNotFoundError: If the file is missing.
            IndexFormatError: If faiss cannot read it or it is not a trained 8-bit scalar quantizer.
        """
        faiss = _import_faiss()
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: the int8 index at {path.parent} is incomplete")
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as error:
            raise IndexFormatError(f"{path} is corrupt (faiss could not read it: {error})") from error
        if not isinstance(index, faiss.IndexScalarQuantizer) or not index.is_trained:
            raise IndexFormatError(f"{path} is not a trained faiss IndexScalarQuantizer")
        return cls(index)

    @property
    def dim(self) -> int:
        """Vector size."""
        return int(self.index.d)

    def save(self, path: Path) -> None:
        """Writes the quantizer (no vectors) to ``path``."""
        _import_faiss().write_index(self.index, str(path))

    def encode(self, vectors: np.ndarray) -> np.ndarray:
        """``(n, dim)`` uint8 codes of ``(n, dim)`` float32 vectors."""
        return self.index.sa_encode(np.ascontiguousarray(vectors, dtype=np.float32))

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """``(n, dim)`` float32 vectors of ``(n, dim)`` uint8 codes."""
        return self.index.sa_decode(np.ascontiguousarray(codes))


def _import_faiss() -> Any:
    from ..faiss.backend import import_faiss

    return import_faiss()
