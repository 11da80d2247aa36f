"""Cross-encoders loaded from Hugging Face sequence-classification checkpoints, with their trained heads.

A checkpoint saved as ``BertForSequenceClassification``, ``ElectraForSequenceClassification``,
``RobertaForSequenceClassification``, ``DistilBertForSequenceClassification``, ``ModernBertForSequenceClassification``
(any ``...ForSequenceClassification`` with an ``AutoModelForSequenceClassification`` class) is recognised from the
``architectures`` of its ``config.json``. The whole Hugging Face model is kept as the backbone, so its own pooler and
classifier code runs as it was trained, and all of its parameters train when the model is fine-tuned.

Scores follow sentence-transformers' ``CrossEncoder.predict``: the activation named in the checkpoint's config
(``sentence_transformers.activation_fn``, or the older ``sbert_ce_default_activation_function``; only ``torch.*``
paths are used) is applied to the logits, else ``Sigmoid`` for one label and none for two. With two labels the score
is the softmax probability of label 1 (``CrossEncoder.predict(pairs, apply_softmax=True)[:, 1]``), which ranks as the
log-odds of relevance does.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any, cast

import torch
from transformers import AutoModelForSequenceClassification, BatchEncoding, PretrainedConfig, PreTrainedModel
from transformers.models.auto.modeling_auto import MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING

from ..base.backbone import check_encoder_only
from ..base.layouts import CheckpointFiles, CheckpointLayout
from ..console import quiet_transformers_loading, warn_missing_weights
from ..precision import float32_linear
from .config import CrossEncoderConfig
from .model import CrossEncoderModel, CrossEncoderOutput

SEQUENCE_CLASSIFICATION_SUFFIX = "ForSequenceClassification"
"""How the ``architectures`` entry of a sequence-classification checkpoint's config ends."""


def is_sequence_classification(config: PretrainedConfig) -> bool:
    """Whether a backbone config was saved by a ``...ForSequenceClassification`` model (its ``architectures``)."""
    architectures = getattr(config, "architectures", None) or []
    return any(str(name).endswith(SEQUENCE_CLASSIFICATION_SUFFIX) for name in architectures)


class SequenceClassificationCrossEncoderConfig(CrossEncoderConfig):
    """A cross-encoder whose backbone is a Hugging Face ``...ForSequenceClassification`` model.

    The checkpoint's head (pooler and classifier) scores the pairs, so ``pooling_strategy`` and ``linear_bias`` are
    not used. The number of labels (1 or 2) and the activation are read from the backbone config.

    Args:
        query_length: Maximum number of tokens of the query part.
        doc_length: Maximum number of tokens of the whole query-document pair.
        **kwargs: The other :class:`CrossEncoderConfig` and Hugging Face config arguments.
    """

    model_type = "sequence-classification-cross-encoder"

    def __init__(self, query_length: int = 32, doc_length: int = 512, **kwargs: Any) -> None:
        super().__init__(query_length=query_length, doc_length=doc_length, **kwargs)


def _activation(config: PretrainedConfig) -> torch.nn.Module:
    """The activation sentence-transformers' ``CrossEncoder`` applies to this checkpoint's logits."""
    settings = getattr(config, "sentence_transformers", None)
    path = settings.get("activation_fn") if isinstance(settings, dict) else None
    path = path or getattr(config, "sbert_ce_default_activation_function", None)
    if path:
        if str(path).startswith("torch."):
            module_name, _, class_name = str(path).rpartition(".")
            return cast(torch.nn.Module, getattr(importlib.import_module(module_name), class_name)())
        warnings.warn(
            f"SequenceClassificationCrossEncoderModel: the activation {path!r} of the checkpoint is not a torch "
            "class and is not imported; using the default activation",
            stacklevel=3,
        )
    return torch.nn.Sigmoid() if config.num_labels == 1 else torch.nn.Identity()


def _classification_class(config: PretrainedConfig) -> type[PreTrainedModel]:
    check_encoder_only(config, "SequenceClassificationCrossEncoderModel")
    if type(config) not in MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING:
        raise ValueError(
            f"SequenceClassificationCrossEncoderModel: no Hugging Face AutoModelForSequenceClassification is "
            f"registered for model type {config.model_type!r}"
        )
    return cast(type[PreTrainedModel], MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING[type(config)])


class SequenceClassificationCrossEncoderModel(CrossEncoderModel):
    """A cross-encoder that scores with a Hugging Face sequence-classification model's own head.

    ``backbone`` is the whole ``...ForSequenceClassification`` model; ``linear`` is its last linear layer (the one
    producing the logits). See the module docstring for how logits become scores.

    Args:
        config: The cross-encoder's configuration (with its ``backbone_config`` set; 1 or 2 labels).

    Raises:
        ValueError: If the backbone config has more than 2 labels.
    """

    config_class: type[SequenceClassificationCrossEncoderConfig] = SequenceClassificationCrossEncoderConfig
    config: SequenceClassificationCrossEncoderConfig

    def __init__(self, config: CrossEncoderConfig, *args: Any, **kwargs: Any) -> None:
        super(CrossEncoderModel, self).__init__(config, *args, **kwargs)
        self.activation = self._check_labels_and_activation()
        self._logits_hook = self.linear.register_forward_hook(float32_logits)  # moved to a loaded backbone's head
        self.post_init()

    @property
    def linear(self) -> torch.nn.Linear:  # type: ignore[override]
        """The classifier's output layer, ``(hidden -> num_labels)``."""
        layers = [module for module in self.backbone.modules() if isinstance(module, torch.nn.Linear)]
        return layers[-1]

    def _check_labels_and_activation(self) -> torch.nn.Module:
        num_labels = self.backbone_config.num_labels
        if num_labels not in (1, 2):
            raise ValueError(
                f"{type(self).__name__}: the checkpoint's classifier has {num_labels} labels; a relevance score needs "
                "1 (a score) or 2 (not relevant, relevant)"
            )
        return _activation(self.backbone_config)

    def _build_backbone(self) -> PreTrainedModel:
        return _classification_class(self.backbone_config)(self.backbone_config)

    def _load_pretrained_backbone(self, model_name_or_path: str, **kwargs: Any) -> None:
        """Load the whole sequence-classification model; a plain backbone gets a fresh one-label classifier."""
        config = self.backbone_config
        if not is_sequence_classification(config):
            config.num_labels = 1
        with quiet_transformers_loading():
            loaded = AutoModelForSequenceClassification.from_pretrained(
                model_name_or_path, config=config, output_loading_info=True, **kwargs
            )
        model, info = cast(tuple[PreTrainedModel, dict[str, Any]], loaded)
        warn_missing_weights(info, model_name_or_path, "sequence-classification")
        self.backbone = model
        self.config.backbone_config = model.config
        self.activation = self._check_labels_and_activation()
        self._logits_hook.remove()
        self._logits_hook = self.linear.register_forward_hook(float32_logits)

    def forward(self, encoding: BatchEncoding) -> CrossEncoderOutput:
        """Score tokenised query-document pairs with the checkpoint's head.

        Args:
            encoding: The pairs, ``input_ids`` ``(total_docs, seq)``.
        """
        output = self._backbone_forward(**encoding, output_hidden_states=True)
        logits = self.activation(output.logits)
        scores = logits.view(-1) if logits.shape[-1] == 1 else torch.softmax(logits, dim=-1)[:, 1]
        embeddings = output.hidden_states[-1][:, :1] if output.hidden_states is not None else None
        return CrossEncoderOutput(scores=scores, embeddings=embeddings)


def float32_logits(module: torch.nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> torch.Tensor | None:
    """Forward hook of the classifier's output layer: its logits in float32 when autocast computed them in less.

    Relevance scores stay in float32 (bfloat16 logits would tie many documents); the hidden states before the
    layer keep the precision they were computed in.
    """
    if output.dtype == torch.float32 or not isinstance(module, torch.nn.Linear):
        return None
    return float32_linear(module, args[0])


def sequence_classification_config(config: CrossEncoderConfig) -> CrossEncoderConfig:
    """The config to build for a plain checkpoint: a sequence-classification one when the checkpoint is one.

    A :class:`CrossEncoderConfig` (not a subclass) whose backbone config was saved by a ``...ForSequenceClassification``
    model becomes a :class:`SequenceClassificationCrossEncoderConfig` with the same lengths; other configs are kept.
    """
    backbone_config = config.backbone_config
    if type(config) is not CrossEncoderConfig or backbone_config is None:
        return config
    if not is_sequence_classification(backbone_config):
        return config
    ignored = sorted({"pooling_strategy", "linear_bias"} & set(config.to_diff_dict()))
    if ignored:
        warnings.warn(
            f"CrossEncoderConfig: {', '.join(ignored)} is not used for a sequence-classification checkpoint; its "
            "trained head scores the pairs",
            stacklevel=4,
        )
    converted = SequenceClassificationCrossEncoderConfig(query_length=config.query_length, doc_length=config.doc_length)
    converted.backbone_config = backbone_config
    return converted


def _detect_sequence_classification(files: CheckpointFiles) -> SequenceClassificationCrossEncoderConfig | None:
    """A sequence-classification cross-encoder config when ``config.json`` names a ``...ForSequenceClassification``."""
    if not any(name.endswith(SEQUENCE_CLASSIFICATION_SUFFIX) for name in files.architectures):
        return None
    return SequenceClassificationCrossEncoderConfig()


SEQUENCE_CLASSIFICATION_LAYOUT = CheckpointLayout(
    family="Sequence-classification cross-encoder (`cross-encoder/ms-marco-*`, monoBERT, BGE re-rankers, ...)",
    kind="cross-encoder",
    recognised_by="`config.json` architectures `...ForSequenceClassification` (BERT, ELECTRA, RoBERTa, DistilBERT, "
    "ModernBERT), `num_labels` 1 or 2",
    reference="sentence-transformers `CrossEncoder.predict`",
    detect=_detect_sequence_classification,
)
