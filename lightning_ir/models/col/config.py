"""Configuration of ColBERT-style multi-vector bi-encoders.

This module's annotations are evaluated when it is imported (no ``from __future__ import annotations``): for a
Hugging Face config, which transformers turns into a dataclass, jsonargparse resolves postponed annotations only from
the dataclass fields, so it would read the marker tokens of a YAML recipe as YAML (``"[QUE]"`` as a list).
"""

from typing import Any, ClassVar

from ...bi_encoder.config import BiEncoderConfig
from ...options import MaskScoringTokens, PoolingStrategy, Projection


class ColConfig(BiEncoderConfig):
    """A bi-encoder that keeps one (projected, normalised) vector per token and scores with MaxSim.

    Queries are expanded with [MASK] tokens; punctuation in documents does not take part in scoring. Every default
    that differs from :class:`BiEncoderConfig`'s is in this signature, so a config built from YAML (where
    jsonargparse passes each default explicitly) equals ``ColConfig()``.

    Published ColBERT checkpoints set the marker tokens: colbert-ir ones use the vocabulary's ``[unused0]`` /
    ``[unused1]``, PyLate ones the ``[Q] `` / ``[D] `` tokens they added to theirs (see
    :mod:`lightning_ir.models.col.colbert_ir` and :mod:`lightning_ir.models.col.pylate`).

    Args:
        query_expansion: Pad queries with [MASK] tokens to ``query_length``.
        doc_mask_scoring_tokens: Document tokens excluded from scoring.
        embedding_dim: Dimension of the token vectors.
        projection: Projection of the token vectors.
        query_pooling_strategy: None: one vector per query token.
        doc_pooling_strategy: None: one vector per document token.
        normalize: L2-normalise the token vectors.
        add_marker_tokens: Insert the ``query_token`` / ``doc_token`` marker after the first token.
        attend_to_query_expanded_tokens: Whether the other query tokens attend to the [MASK] tokens.
        query_token: The marker token of queries (added to the vocabulary when it is not in it).
        doc_token: The marker token of documents (added to the vocabulary when it is not in it).
        **kwargs: Other :class:`BiEncoderConfig` arguments.
    """

    model_type = "col"
    TOKENIZER_ARGS: ClassVar[set[str]] = BiEncoderConfig.TOKENIZER_ARGS | {"query_token", "doc_token"}

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
        query_token: str = "[QUE]",
        doc_token: str = "[DOC]",
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
        for option, token in (("query_token", query_token), ("doc_token", doc_token)):
            if not isinstance(token, str) or not token:
                raise ValueError(f"{type(self).__name__}: {option} must be a non-empty string, got {token!r}")
        self.query_token = query_token
        self.doc_token = doc_token
