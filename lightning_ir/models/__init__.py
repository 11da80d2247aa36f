"""The model zoo: one architecture per file."""

from .col import ColConfig, ColModel
from .registry import BUILTIN_MODELS, register_builtin_models, register_model
from .splade import SpladeConfig, SpladeModel

__all__ = [
    "BUILTIN_MODELS",
    "ColConfig",
    "ColModel",
    "SpladeConfig",
    "SpladeModel",
    "register_builtin_models",
    "register_model",
]
