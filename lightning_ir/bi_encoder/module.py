"""LightningModule for bi-encoders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..base.module import LightningIRModule, LossSpec
from .config import BiEncoderConfig
from .model import BiEncoderModel, BiEncoderOutput
from .tokenizer import BiEncoderTokenizer


class BiEncoderModule(LightningIRModule):
    """Trains and runs a :class:`BiEncoderModel`.

    Args:
        model_name_or_path: A backbone, a saved bi-encoder, or a sentence-transformers model (path or hub id).
        config: The bi-encoder's configuration (see :class:`LightningIRModule`).
        model: An already built model.
        loss_functions: Losses for training: each a loss or a ``(loss, weight)`` pair.
        evaluation_metrics: ir_measures metric names or ``"loss"``, computed on validation sets.
        index_dir: Directory of an index to search during validation/testing (used with ``search_config``).
        search_config: Search settings for ``index_dir``.
    """

    model_class: ClassVar[type[BiEncoderModel]] = BiEncoderModel
    tokenizer_class: ClassVar[type[BiEncoderTokenizer]] = BiEncoderTokenizer
    model: BiEncoderModel
    tokenizer: BiEncoderTokenizer
    config: BiEncoderConfig

    def __init__(
        self,
        model_name_or_path: str | None = None,
        config: BiEncoderConfig | None = None,
        model: BiEncoderModel | None = None,
        loss_functions: Sequence[LossSpec] | None = None,
        evaluation_metrics: Sequence[str] | None = None,
        index_dir: str | Path | None = None,
        search_config: Any | None = None,
    ) -> None:
        super().__init__(model_name_or_path, config, model, loss_functions, evaluation_metrics)
        self.model.set_mask_scoring_input_ids(self.tokenizer)
        self.index_dir = None if index_dir is None else Path(index_dir)
        self.search_config = search_config

    def forward(self, batch: Any) -> BiEncoderOutput:
        """Embed the batch's queries and documents and score each query's documents.

        ``batch`` needs ``queries`` and/or ``docs`` (a list of lists), or ready ``encodings``.
        """
        queries = getattr(batch, "queries", None)
        docs = getattr(batch, "docs", None)
        num_docs = None if docs is None else [len(group) for group in docs]
        encodings = getattr(batch, "encodings", None)
        if encodings is None:
            encodings = self.tokenize(queries=queries, docs=docs, num_docs=num_docs)
        else:
            encodings = {key: encoding.to(self.device) for key, encoding in encodings.items()}
        return self.model(encodings.get("query_encoding"), encodings.get("doc_encoding"), num_docs)
