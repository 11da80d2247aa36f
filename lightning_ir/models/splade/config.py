"""Configuration of SPLADE-style learned sparse bi-encoders."""

from __future__ import annotations

from typing import Any

from ...bi_encoder.config import BiEncoderConfig
from ...options import PoolingStrategy, Projection, SparsificationStrategy
from ...validation import check_optional_positive_int


class SpladeConfig(BiEncoderConfig):
    """A bi-encoder whose vectors live in the vocabulary space (Formal et al., SIGIR 2021).

    A vector is the masked-LM head's logits, ``log(1 + relu)``, max-pooled over the tokens; vectors are compared with
    the dot product. The head runs on chunks of ``logits_chunk_size`` tokens, so a batch's ``(batch, seq, vocab)``
    logits never exist at once (see :mod:`lightning_ir.models.splade.pooling`).

    With ``static_query_weights`` (inference-free SPLADE, e.g. OpenSearch's doc-only models), queries do not run
    through the backbone: a query's vector holds, for each distinct token of the query, that token's learned weight
    (the model's ``query_weights``, one per vocabulary token); the special tokens the tokenizer adds around a text are
    not looked up.

    Every default that differs from :class:`BiEncoderConfig`'s is in this signature, so a config built from YAML
    (where jsonargparse passes each default explicitly) equals ``SpladeConfig()``.

    Args:
        query_pooling_strategy: Pooling of query token vectors.
        doc_pooling_strategy: Pooling of document token vectors.
        projection: ``"mlm"``: the backbone's masked-LM head.
        sparsification: ``"relu_log"``, ``"relu_log_log"`` or ``"relu"``.
        embedding_dim: None: the vectors have the size of the vocabulary.
        logits_chunk_size: Most tokens whose vocabulary logits are computed at once when pooling (a positive integer;
            in training each chunk is recomputed in the backward pass instead of being kept); None computes a batch's
            logits at once.
        static_query_weights: Encode queries by looking up a learned weight per vocabulary token instead of running
            the backbone.
        freeze_query_weights: Keep the static query weights fixed when training.
        max_active_dims: Keep only the largest ``max_active_dims`` entries of each vector at inference (evaluation
            mode); None keeps all.
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
        logits_chunk_size: int | None = 1024,
        static_query_weights: bool = False,
        freeze_query_weights: bool = False,
        max_active_dims: int | None = None,
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
        name = type(self).__name__
        self.logits_chunk_size = check_optional_positive_int(
            name, "logits_chunk_size", logits_chunk_size, "all tokens of a batch at once"
        )
        if static_query_weights and projection != "mlm":
            raise ValueError(
                f"{name}: static_query_weights=True needs projection='mlm' (query weights are per vocabulary token, so "
                f"document vectors must be too); got projection={projection!r}"
            )
        self.static_query_weights = bool(static_query_weights)
        self.freeze_query_weights = bool(freeze_query_weights)
        self.max_active_dims = check_optional_positive_int(name, "max_active_dims", max_active_dims, "keep all")
