"""Lightning IR: fine-tune, index, search, re-rank and evaluate neural ranking models."""

from .base import LightningIRConfig, LightningIRModel, LightningIRModule, LightningIROutput, LightningIRTokenizer
from .bi_encoder import (
    BiEncoderConfig,
    BiEncoderEmbedding,
    BiEncoderModel,
    BiEncoderModule,
    BiEncoderOutput,
    BiEncoderTokenizer,
    ScoringFunction,
)
from .cross_encoder import (
    CrossEncoderConfig,
    CrossEncoderModel,
    CrossEncoderModule,
    CrossEncoderOutput,
    CrossEncoderTokenizer,
)
from .models import ColConfig, ColModel, SpladeConfig, SpladeModel, register_builtin_models

register_builtin_models()

__all__ = [
    "BiEncoderConfig",
    "BiEncoderEmbedding",
    "BiEncoderModel",
    "BiEncoderModule",
    "BiEncoderOutput",
    "BiEncoderTokenizer",
    "ColConfig",
    "ColModel",
    "CrossEncoderConfig",
    "CrossEncoderModel",
    "CrossEncoderModule",
    "CrossEncoderOutput",
    "CrossEncoderTokenizer",
    "LightningIRConfig",
    "LightningIRModel",
    "LightningIRModule",
    "LightningIROutput",
    "LightningIRTokenizer",
    "ScoringFunction",
    "SpladeConfig",
    "SpladeModel",
]
