"""ColBERT-style multi-vector bi-encoder (Khattab and Zaharia, SIGIR 2020)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ..bi_encoder.config import BiEncoderConfig
from ..bi_encoder.model import BiEncoderModel


class ColConfig(BiEncoderConfig):
    """A bi-encoder that keeps one (projected, normalised) vector per token and scores with MaxSim.

    Queries are expanded with [MASK] tokens; punctuation in documents does not take part in scoring.

    Args:
        query_expansion: Pad queries with [MASK] tokens to ``query_length``.
        doc_mask_scoring_tokens: Document tokens excluded from scoring.
        embedding_dim: Dimension of the token vectors.
        projection: Projection of the token vectors.
        **kwargs: Other :class:`BiEncoderConfig` arguments (pooling defaults to None: one vector per token).
    """

    model_type = "col"

    def __init__(
        self,
        query_expansion: bool = True,
        doc_mask_scoring_tokens: Literal["punctuation"] | Sequence[str] | None = "punctuation",
        embedding_dim: int | None = 128,
        projection: Literal["linear", "linear_no_bias", "mlm"] | None = "linear_no_bias",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("query_pooling_strategy", None)
        kwargs.setdefault("doc_pooling_strategy", None)
        kwargs.setdefault("normalize", True)
        kwargs.setdefault("add_marker_tokens", True)
        kwargs.setdefault("attend_to_query_expanded_tokens", True)
        super().__init__(
            query_expansion=query_expansion,
            doc_mask_scoring_tokens=doc_mask_scoring_tokens,
            embedding_dim=embedding_dim,
            projection=projection,
            **kwargs,
        )


class ColModel(BiEncoderModel):
    """The multi-vector bi-encoder configured by :class:`ColConfig`."""

    config_class = ColConfig
