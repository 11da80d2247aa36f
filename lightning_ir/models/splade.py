"""SPLADE-style learned sparse bi-encoder (Formal et al., SIGIR 2021)."""

from __future__ import annotations

from typing import Any

from ..bi_encoder.config import BiEncoderConfig
from ..bi_encoder.model import BiEncoderModel
from ..options import PoolingStrategy, Projection, SparsificationStrategy


class SpladeConfig(BiEncoderConfig):
    """A bi-encoder whose vectors live in the vocabulary space.

    A vector is the masked-LM head's logits, ``log(1 + relu)``, max-pooled over the tokens; vectors are compared with
    the dot product.

    Every default that differs from :class:`BiEncoderConfig`'s is in this signature, so a config built from YAML
    (where jsonargparse passes each default explicitly) equals ``SpladeConfig()``.

    Args:
        query_pooling_strategy: Pooling of query token vectors.
        doc_pooling_strategy: Pooling of document token vectors.
        projection: ``"mlm"``: the backbone's masked-LM head.
        sparsification: ``"relu_log"`` or ``"relu"``.
        embedding_dim: None: the vectors have the size of the vocabulary.
        **kwargs: Other :class:`BiEncoderConfig` arguments.
    """

    model_type = "splade"

    def __init__(
        self,
        query_pooling_strategy: PoolingStrategy | None = "max",
        doc_pooling_strategy: PoolingStrategy | None = "max",
        projection: Projection | None = "mlm",
        sparsification: SparsificationStrategy | None = "relu_log",
        embedding_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            query_pooling_strategy=query_pooling_strategy,
            doc_pooling_strategy=doc_pooling_strategy,
            projection=projection,
            sparsification=sparsification,
            embedding_dim=embedding_dim,
            **kwargs,
        )


class SpladeModel(BiEncoderModel):
    """The learned sparse bi-encoder configured by :class:`SpladeConfig`."""

    config_class = SpladeConfig
