"""Cross-encoder models: the query and a document are encoded together and scored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from transformers import BatchEncoding

from ..base.config import LightningIRConfig
from ..base.layouts import ModelKind
from ..base.model import LightningIRModel
from ..base.outputs import LightningIROutput
from ..precision import float32_linear
from .config import CrossEncoderConfig


@dataclass
class CrossEncoderOutput(LightningIROutput):
    """Output of a cross-encoder.

    Attributes:
        scores: ``(total_docs,)`` scores of the query-document pairs.
        embeddings: ``(total_docs, 1, hidden)`` pooled embeddings of the pairs.
    """

    embeddings: torch.Tensor | None = None


class CrossEncoderModel(LightningIRModel):
    """A cross-encoder on top of any Hugging Face encoder backbone: backbone -> ``_pooling`` -> ``linear``.

    Args:
        config: The cross-encoder's configuration (with its ``backbone_config`` set).
    """

    config_class: type[CrossEncoderConfig] = CrossEncoderConfig
    output_class: ClassVar[type[LightningIROutput]] = CrossEncoderOutput
    checkpoint_kind: ClassVar[ModelKind | None] = "cross-encoder"
    config: CrossEncoderConfig

    def __init__(self, config: CrossEncoderConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.linear = torch.nn.Linear(self.backbone_config.hidden_size, 1, bias=config.linear_bias)
        self.post_init()

    @classmethod
    def _config_for_checkpoint(cls, config: LightningIRConfig) -> LightningIRConfig:
        """Keep the trained head of a Hugging Face ``...ForSequenceClassification`` checkpoint.

        Such a checkpoint becomes a ``SequenceClassificationCrossEncoderModel``; other checkpoints get the ``linear``
        head.
        """
        from .sequence_classification import sequence_classification_config

        if not isinstance(config, CrossEncoderConfig):
            return config
        return sequence_classification_config(config)

    def forward(self, encoding: BatchEncoding) -> CrossEncoderOutput:
        """Score tokenised query-document pairs.

        Args:
            encoding: The pairs, ``input_ids`` ``(total_docs, seq)``.
        """
        embeddings = self._backbone_forward(**encoding).last_hidden_state
        embeddings = self._pooling(
            embeddings, encoding.get("attention_mask", None), pooling_strategy=self.config.pooling_strategy
        )
        scores = float32_linear(self.linear, embeddings).view(-1)  # float32, also under autocast or in bf16 weights
        return CrossEncoderOutput(scores=scores, embeddings=embeddings)
