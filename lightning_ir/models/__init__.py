"""The model zoo: one architecture per file."""

from .col import ColConfig, ColModel
from .registry import BUILTIN_MODELS, register_builtin_models, register_model
from .splade import SpladeConfig, SpladeModel
from .t5 import T5CrossEncoderConfig, T5CrossEncoderModel, T5CrossEncoderTokenizer
from .xtr import XTRConfig, XTRModel

__all__ = [
    "BUILTIN_MODELS",
    "ColConfig",
    "ColModel",
    "SpladeConfig",
    "SpladeModel",
    "T5CrossEncoderConfig",
    "T5CrossEncoderModel",
    "T5CrossEncoderTokenizer",
    "XTRConfig",
    "XTRModel",
    "register_builtin_models",
    "register_model",
]
