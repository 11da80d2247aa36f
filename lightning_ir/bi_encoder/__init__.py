"""Bi-encoders: queries and documents embedded separately."""

from .config import BiEncoderConfig
from .embedding import BiEncoderEmbedding
from .model import BiEncoderModel, BiEncoderOutput
from .module import BiEncoderModule
from .scoring import ScoringFunction
from .tokenizer import BiEncoderTokenizer

__all__ = [
    "BiEncoderConfig",
    "BiEncoderEmbedding",
    "BiEncoderModel",
    "BiEncoderModule",
    "BiEncoderOutput",
    "BiEncoderTokenizer",
    "ScoringFunction",
]
