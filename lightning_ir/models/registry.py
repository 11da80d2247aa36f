"""Registration of the built-in models with the Hugging Face Auto classes."""

from __future__ import annotations

from transformers import AutoConfig, AutoModel, AutoTokenizer, PretrainedConfig
from transformers.models.auto.configuration_auto import CONFIG_MAPPING
from transformers.models.auto.modeling_auto import MODEL_MAPPING
from transformers.models.auto.tokenization_auto import TOKENIZER_MAPPING

from ..base.layouts import CheckpointLayout, register_layout
from ..base.model import LightningIRModel
from ..base.tokenizer import LightningIRTokenizer
from ..bi_encoder.config import BiEncoderConfig
from ..bi_encoder.model import BiEncoderModel
from ..bi_encoder.sentence_transformers import SENTENCE_TRANSFORMERS_LAYOUT
from ..bi_encoder.sentence_transformers_router import ROUTER_LAYOUT
from ..bi_encoder.tokenizer import BiEncoderTokenizer
from ..bi_encoder.untied import DPR_LAYOUT
from ..cross_encoder.config import CrossEncoderConfig
from ..cross_encoder.model import CrossEncoderModel
from ..cross_encoder.sequence_classification import (
    SEQUENCE_CLASSIFICATION_LAYOUT,
    SequenceClassificationCrossEncoderConfig,
    SequenceClassificationCrossEncoderModel,
)
from ..cross_encoder.tokenizer import CrossEncoderTokenizer
from .col import COLBERT_IR_LAYOUT, PYLATE_LAYOUT, ColConfig, ColModel
from .splade import INFERENCE_FREE_SPLADE_LAYOUT, SPLADE_LAYOUT, SpladeConfig, SpladeModel
from .t5 import (
    T5_ENCODER_DECODER_LAYOUT,
    T5_ENCODER_ONLY_LAYOUT,
    T5CrossEncoderConfig,
    T5CrossEncoderModel,
    T5CrossEncoderTokenizer,
)
from .xtr import XTR_LAYOUT, XTRConfig, XTRModel

BUILTIN_MODELS: tuple[tuple[type[PretrainedConfig], type[LightningIRModel], type[LightningIRTokenizer]], ...] = (
    (BiEncoderConfig, BiEncoderModel, BiEncoderTokenizer),
    (CrossEncoderConfig, CrossEncoderModel, CrossEncoderTokenizer),
    (SequenceClassificationCrossEncoderConfig, SequenceClassificationCrossEncoderModel, CrossEncoderTokenizer),
    (ColConfig, ColModel, BiEncoderTokenizer),
    (SpladeConfig, SpladeModel, BiEncoderTokenizer),
    (T5CrossEncoderConfig, T5CrossEncoderModel, T5CrossEncoderTokenizer),
    (XTRConfig, XTRModel, BiEncoderTokenizer),
)

BUILTIN_LAYOUTS: tuple[CheckpointLayout, ...] = (
    SPLADE_LAYOUT,
    INFERENCE_FREE_SPLADE_LAYOUT,
    COLBERT_IR_LAYOUT,
    PYLATE_LAYOUT,
    XTR_LAYOUT,
    ROUTER_LAYOUT,
    DPR_LAYOUT,
    SENTENCE_TRANSFORMERS_LAYOUT,
    SEQUENCE_CLASSIFICATION_LAYOUT,
    T5_ENCODER_DECODER_LAYOUT,
    T5_ENCODER_ONLY_LAYOUT,
)
"""The published checkpoint families recognised from their files, tried in this order (the more specific first)."""


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
    """Register every built-in model and checkpoint layout (idempotent)."""
    for config_class, model_class, tokenizer_class in BUILTIN_MODELS:
        register_model(config_class, model_class, tokenizer_class)
    for layout in BUILTIN_LAYOUTS:
        register_layout(layout)
