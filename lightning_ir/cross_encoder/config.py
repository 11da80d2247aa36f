"""Configuration of cross-encoder models."""

from __future__ import annotations

from typing import Any

from ..base.config import LightningIRConfig
from ..options import PoolingStrategy
from ..validation import check_option


class CrossEncoderConfig(LightningIRConfig):
    """Hyperparameters of a cross-encoder: the query and a document are encoded together and scored by a linear head.

    Args:
        query_length: Maximum number of tokens of the query part.
        doc_length: Maximum number of tokens of the whole query-document pair.
        pooling_strategy: How the pair's token embeddings are pooled: ``"first"`` ([CLS]), ``"mean"``, ``"max"`` or
            ``"sum"``.
        linear_bias: Whether the scoring head has a bias.
        **kwargs: Hugging Face config arguments.
    """

    model_type = "cross-encoder"

    def __init__(
        self,
        query_length: int = 32,
        doc_length: int = 512,
        pooling_strategy: PoolingStrategy = "first",
        linear_bias: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(query_length=query_length, doc_length=doc_length, **kwargs)
        check_option(type(self).__name__, "pooling_strategy", pooling_strategy, PoolingStrategy)
        self.pooling_strategy = pooling_strategy
        self.linear_bias = linear_bias
