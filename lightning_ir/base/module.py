"""The LightningModule every Lightning IR module derives from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from lightning import LightningModule
from transformers import BatchEncoding

from .config import LightningIRConfig
from .model import LightningIRModel
from .outputs import LightningIROutput
from .tokenizer import LightningIRTokenizer

LossSpec = Any  # a loss function, or a (loss function, weight) pair


class LightningIRModule(LightningModule):
    """Holds a Lightning IR model and its tokenizer, and trains and evaluates it.

    Args:
        model_name_or_path: A backbone (fresh heads), a saved Lightning IR model, or a sentence-transformers model
            (bi-encoders), by local path or Hugging Face hub id. Not needed when ``model`` is given.
        config: The model's configuration; for a saved model, the values it sets explicitly override the saved ones.
        model: An already built model (its tokenizer is loaded from ``model.config.name_or_path``).
        loss_functions: Losses for training: each a loss or a ``(loss, weight)`` pair.
        evaluation_metrics: ir_measures metric names (e.g. ``"nDCG@10"``) or ``"loss"``, computed on validation sets.
    """

    model_class: ClassVar[type[LightningIRModel]] = LightningIRModel
    tokenizer_class: ClassVar[type[LightningIRTokenizer]] = LightningIRTokenizer

    def __init__(
        self,
        model_name_or_path: str | None = None,
        config: LightningIRConfig | None = None,
        model: LightningIRModel | None = None,
        loss_functions: Sequence[LossSpec] | None = None,
        evaluation_metrics: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        if model is None:
            if model_name_or_path is None:
                raise ValueError(f"{type(self).__name__}: pass model_name_or_path or model")
            model = self.model_class.from_pretrained(model_name_or_path, config=config)
        self.model = model
        self.config: LightningIRConfig = model.config
        tokenizer_source = model_name_or_path or model.config.name_or_path
        if not tokenizer_source:
            raise ValueError(f"{type(self).__name__}: cannot tell where to load the tokenizer from; pass "
                             "model_name_or_path")
        self.tokenizer = self.tokenizer_class.from_pretrained(tokenizer_source, config=self.config)
        self._match_vocabulary()
        self.loss_functions: list[tuple[Any, float]] = _normalise_losses(loss_functions)
        self.evaluation_metrics = list(evaluation_metrics) if evaluation_metrics is not None else None
        self._optimizer: tuple[type[torch.optim.Optimizer], dict[str, Any]] | None = None

    def _match_vocabulary(self) -> None:
        """Grow the backbone's embeddings when the tokenizer added tokens (e.g. marker tokens)."""
        num_tokens = len(self.tokenizer)
        if num_tokens > self.model.backbone.get_input_embeddings().num_embeddings:
            self.model.backbone.resize_token_embeddings(num_tokens)
            self.config.backbone_config = self.model.backbone.config

    def set_optimizer(self, optimizer_cls: type[torch.optim.Optimizer], **optimizer_kwargs: Any) -> None:
        """Use ``optimizer_cls(self.parameters(), **optimizer_kwargs)`` for training."""
        self._optimizer = (optimizer_cls, optimizer_kwargs)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """The optimizer given to :meth:`set_optimizer`."""
        if self._optimizer is None:
            raise ValueError(
                f"{type(self).__name__}: no optimizer; call module.set_optimizer(AdamW, lr=...) or pass --optimizer "
                "to the CLI"
            )
        optimizer_cls, kwargs = self._optimizer
        return optimizer_cls(self.parameters(), **kwargs)

    def tokenize(self, queries: Any = None, docs: Any = None, num_docs: Any = None) -> dict[str, BatchEncoding]:
        """Tokenise with the module's tokenizer, on the module's device."""
        encodings = self.tokenizer.tokenize(queries=queries, docs=docs, num_docs=num_docs)
        return {key: encoding.to(self.device) for key, encoding in encodings.items()}

    def forward(self, batch: Any) -> LightningIROutput:
        """Run the model on a batch (a ``RankBatch``/``TrainBatch``; tokenised here unless it has ``encodings``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def score(self, queries: str | Sequence[str], docs: str | Sequence[str] | Sequence[Sequence[str]]) -> Any:
        """Score documents for queries, without gradients.

        Args:
            queries: One query or a list.
            docs: For one query, a list of documents; for several, a list of lists.

        Returns:
            The model's output; ``scores`` is ``(total_docs,)``, flattened in query order.
        """
        query_list = [queries] if isinstance(queries, str) else list(queries)
        if isinstance(docs, str):
            docs = [docs]
        doc_lists = [list(docs)] if docs and isinstance(docs[0], str) else [list(group) for group in docs]
        if len(doc_lists) != len(query_list):
            raise ValueError(f"score: {len(query_list)} queries but {len(doc_lists)} lists of documents")
        batch = _ScoreBatch(queries=query_list, docs=doc_lists)
        with torch.no_grad():
            return self.forward(batch)

    def save_pretrained(self, save_path: str | Path) -> None:
        """Save model and tokenizer in Hugging Face format (config.json, model.safetensors, tokenizer files)."""
        self.model.save_pretrained(str(save_path))
        self.tokenizer.save_pretrained(str(save_path))


class _ScoreBatch:
    """The minimal batch :meth:`LightningIRModule.score` builds."""

    def __init__(self, queries: list[str], docs: list[list[str]]) -> None:
        self.queries = queries
        self.docs = docs
        self.encodings = None


def _normalise_losses(loss_functions: Sequence[LossSpec] | None) -> list[tuple[Any, float]]:
    normalised = []
    for entry in loss_functions or []:
        if isinstance(entry, tuple | list):
            loss, weight = entry
            normalised.append((loss, float(weight)))
        else:
            normalised.append((entry, 1.0))
    return normalised
