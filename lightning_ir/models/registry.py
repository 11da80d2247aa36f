"""Registration of the built-in models with the Hugging Face Auto classes."""

from __future__ import annotations

from transformers import AutoConfig, AutoModel, AutoTokenizer, PretrainedConfig
from transformers.models.auto.configuration_auto import CONFIG_MAPPING
from transformers.models.auto.modeling_auto import MODEL_MAPPING
from transformers.models.auto.tokenization_auto import TOKENIZER_MAPPING

from ..base.model import LightningIRModel
from ..base.tokenizer import LightningIRTokenizer
from ..bi_encoder.config import BiEncoderConfig
from ..bi_encoder.model import BiEncoderModel
from ..bi_encoder.tokenizer import BiEncoderTokenizer
from ..cross_encoder.config import CrossEncoderConfig
from ..cross_encoder.model import CrossEncoderModel
from ..cross_encoder.sequence_classification import (
    SequenceClassificationCrossEncoderConfig,
    SequenceClassificationCrossEncoderModel,
)
from ..cross_encoder.tokenizer import CrossEncoderTokenizer
from .col import ColConfig, ColModel
from .splade import SpladeConfig, SpladeModel

BUILTIN_MODELS: tuple[tuple[type[PretrainedConfig], type[LightningIRModel], type[LightningIRTokenizer]], ...] = (
    (BiEncoderConfig, BiEncoderModel, BiEncoderTokenizer),
    (CrossEncoderConfig, CrossEncoderModel, CrossEncoderTokenizer),
    (SequenceClassificationCrossEncoderConfig, SequenceClassificationCrossEncoderModel, CrossEncoderTokenizer),
    (ColConfig, ColModel, BiEncoderTokenizer),
    (SpladeConfig, SpladeModel, BiEncoderTokenizer),
)


def register_model(
    config_class: type[PretrainedConfig],
    model_class: type[LightningIRModel],
    tokenizer_class: type[LightningIRTokenizer],
) -> None:
    """Register a model with ``AutoConfig``, ``AutoModel`` and ``AutoTokenizer``; registering twice is a no-op."""
    model_type = config_class.model_type
    if model_type not in CONFIG_MAPPING:
        AutoConfig.register(model_type, config_class)
    if config_class not in MODEL_MAPPING:
        AutoModel.register(config_class, model_class)
    if config_class not in TOKENIZER_MAPPING:
        AutoTokenizer.register(config_class, tokenizer_class)


def register_builtin_models() -> None:
    """Register every built-in model (idempotent)."""
    for config_class, model_class, tokenizer_class in BUILTIN_MODELS:
        register_model(config_class, model_class, tokenizer_class)
