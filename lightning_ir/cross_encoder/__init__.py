"""Cross-encoders: query and document encoded together."""

from .config import CrossEncoderConfig
from .model import CrossEncoderModel, CrossEncoderOutput
from .module import CrossEncoderModule
from .sequence_classification import SequenceClassificationCrossEncoderConfig, SequenceClassificationCrossEncoderModel
from .tokenizer import CrossEncoderTokenizer

__all__ = [
    "CrossEncoderConfig",
    "CrossEncoderModel",
    "CrossEncoderModule",
    "CrossEncoderOutput",
    "CrossEncoderTokenizer",
    "SequenceClassificationCrossEncoderConfig",
    "SequenceClassificationCrossEncoderModel",
]
