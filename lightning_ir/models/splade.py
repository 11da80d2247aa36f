"""SPLADE-style learned sparse bi-encoder (Formal et al., SIGIR 2021)."""

from __future__ import annotations

from typing import Any, Literal

from ..bi_encoder.config import BiEncoderConfig
from ..bi_encoder.model import BiEncoderModel


class SpladeConfig(BiEncoderConfig):
    """A bi-encoder whose vectors live in the vocabulary space: the masked-LM head's logits, ``log(1 + relu)``,
    max-pooled over the tokens, compared with the dot product.

    Args:
        query_pooling_strategy: Pooling of query token vectors.
        doc_pooling_strategy: Pooling of document token vectors.
        projection: ``"mlm"``: the backbone's masked-LM head.
        sparsification: ``"relu_log"`` or ``"relu"``.
        **kwargs: Other :class:`BiEncoderConfig` arguments.
    """

    model_type = "splade"

    def __init__(
        self,
        query_pooling_strategy: Literal["first", "mean", "max", "sum"] | None = "max",
        doc_pooling_strategy: Literal["first", "mean", "max", "sum"] | None = "max",
        projection: Literal["linear", "linear_no_bias", "mlm"] | None = "mlm",
        sparsification: Literal["relu", "relu_log"] | None = "relu_log",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("embedding_dim", None)
        super().__init__(
            query_pooling_strategy=query_pooling_strategy,
            doc_pooling_strategy=doc_pooling_strategy,
            projection=projection,
            sparsification=sparsification,
            **kwargs,
        )


class SpladeModel(BiEncoderModel):
    """The learned sparse bi-encoder configured by :class:`SpladeConfig`."""

    config_class = SpladeConfig
