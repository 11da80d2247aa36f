"""Cross-encoders: query and document encoded together."""

from .config import CrossEncoderConfig
from .model import CrossEncoderModel, CrossEncoderOutput
from .module import CrossEncoderModule
from .tokenizer import CrossEncoderTokenizer

__all__ = [
    "CrossEncoderConfig",
    "CrossEncoderModel",
    "CrossEncoderModule",
    "CrossEncoderOutput",
    "CrossEncoderTokenizer",
]
