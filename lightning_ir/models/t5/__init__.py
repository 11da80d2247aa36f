"""T5 re-rankers: monoT5 and RankT5 (encoder-decoder), and the encoder-only RankT5."""

from .config import T5CrossEncoderConfig
from .layouts import T5_ENCODER_DECODER_LAYOUT, T5_ENCODER_ONLY_LAYOUT
from .model import T5CrossEncoderModel
from .tokenizer import T5CrossEncoderTokenizer

__all__ = [
    "T5_ENCODER_DECODER_LAYOUT",
    "T5_ENCODER_ONLY_LAYOUT",
    "T5CrossEncoderConfig",
    "T5CrossEncoderModel",
    "T5CrossEncoderTokenizer",
]
