"""LightningModule for cross-encoders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ..base.adapters import LoraAdapterConfig
from ..base.module import LightningIRModule, LossSpec
from ..loss.base import InBatchLossFunction
from .config import CrossEncoderConfig
from .model import CrossEncoderModel, CrossEncoderOutput
from .tokenizer import CrossEncoderTokenizer


class CrossEncoderModule(LightningIRModule):
    """Trains and runs a :class:`CrossEncoderModel`.

    Args:
        model_name_or_path: A backbone or a saved cross-encoder (path or hub id).
        config: The cross-encoder's configuration (see :class:`LightningIRModule`).
        model: An already built model.
        loss_functions: Losses for training: each a loss or a ``(loss, weight)`` pair. In-batch losses need a
            bi-encoder and are refused.
        evaluation_metrics: ir_measures metric names or ``"loss"``, computed on validation sets.
        adapter_config: A LoRA adapter to train instead of the backbone's weights
            (:class:`~lightning_ir.base.adapters.LoraAdapterConfig` or a ``peft.LoraConfig``; needs peft). A
            saved model with an adapter loads with it.
    """

    model_class: ClassVar[type[CrossEncoderModel]] = CrossEncoderModel
    tokenizer_class: ClassVar[type[CrossEncoderTokenizer]] = CrossEncoderTokenizer
    model: CrossEncoderModel
    tokenizer: CrossEncoderTokenizer
    config: CrossEncoderConfig

    def __init__(
        self,
        model_name_or_path: str | None = None,
        config: CrossEncoderConfig | None = None,
        model: CrossEncoderModel | None = None,
        loss_functions: Sequence[LossSpec] | None = None,
        evaluation_metrics: Sequence[str] | None = None,
        adapter_config: LoraAdapterConfig | None = None,
    ) -> None:
        super().__init__(model_name_or_path, config, model, loss_functions, evaluation_metrics, adapter_config)
        for loss, _ in self.loss_functions:
            if isinstance(loss, InBatchLossFunction):
                raise ValueError(
                    f"CrossEncoderModule: {type(loss).__name__} scores queries against other queries' documents, "
                    "which needs a bi-encoder; use a pairwise or listwise loss"
                )
            if getattr(loss, "requires_bi_encoder", False):
                raise ValueError(
                    f"CrossEncoderModule: {type(loss).__name__} needs separate query and document embeddings, which "
                    "only a bi-encoder has"
                )

    def forward(self, batch: Any) -> CrossEncoderOutput:
        """Score each query of the batch against its documents (``docs`` a list of lists)."""
        docs = batch.docs
        num_docs = [len(group) for group in docs]
        encodings = getattr(batch, "encodings", None)
        if encodings is None:
            encodings = self.tokenize(queries=batch.queries, docs=docs, num_docs=num_docs)
        return self.model(encodings["encoding"].to(self.device))
