"""ColBERT-style multi-vector bi-encoder (Khattab and Zaharia, SIGIR 2020)."""

from __future__ import annotations

from typing import Any

from ..bi_encoder.config import BiEncoderConfig
from ..bi_encoder.model import BiEncoderModel
from ..options import MaskScoringTokens, PoolingStrategy, Projection


class ColConfig(BiEncoderConfig):
    """A bi-encoder that keeps one (projected, normalised) vector per token and scores with MaxSim.

    Queries are expanded with [MASK] tokens; punctuation in documents does not take part in scoring. Every default
    that differs from :class:`BiEncoderConfig`'s is in this signature, so a config built from YAML (where
    jsonargparse passes each default explicitly) equals ``ColConfig()``.

    Args:
        query_expansion: Pad queries with [MASK] tokens to ``query_length``.
        doc_mask_scoring_tokens: Document tokens excluded from scoring.
        embedding_dim: Dimension of the token vectors.
        projection: Projection of the token vectors.
        query_pooling_strategy: None: one vector per query token.
        doc_pooling_strategy: None: one vector per document token.
        normalize: L2-normalise the token vectors.
        add_marker_tokens: Insert ``[QUE]`` / ``[DOC]`` marker tokens after the first token.
        attend_to_query_expanded_tokens: Whether the other query tokens attend to the [MASK] tokens.
        **kwargs: Other :class:`BiEncoderConfig` arguments.
    """

    model_type = "col"

    def __init__(
        self,
        query_expansion: bool = True,
        doc_mask_scoring_tokens: MaskScoringTokens | None = "punctuation",
        embedding_dim: int | None = 128,
        projection: Projection | None = "linear_no_bias",
        query_pooling_strategy: PoolingStrategy | None = None,
        doc_pooling_strategy: PoolingStrategy | None = None,
        normalize: bool = True,
        add_marker_tokens: bool = True,
        attend_to_query_expanded_tokens: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            query_expansion=query_expansion,
            doc_mask_scoring_tokens=doc_mask_scoring_tokens,
            embedding_dim=embedding_dim,
            projection=projection,
            query_pooling_strategy=query_pooling_strategy,
            doc_pooling_strategy=doc_pooling_strategy,
            normalize=normalize,
            add_marker_tokens=add_marker_tokens,
            attend_to_query_expanded_tokens=attend_to_query_expanded_tokens,
            **kwargs,
        )


class ColModel(BiEncoderModel):
    """The multi-vector bi-encoder configured by :class:`ColConfig`."""

    config_class = ColConfig
