"""Configuration of bi-encoder models."""

from __future__ import annotations

from typing import Any, ClassVar

from ..base.config import LightningIRConfig
from ..options import (
    MaskScoringTokens,
    MaskScoringTokensPreset,
    PoolingStrategy,
    Projection,
    QueryAggregationFunction,
    SimilarityFunction,
    SparsificationStrategy,
)
from ..validation import check_option, check_optional_positive_int


class BiEncoderConfig(LightningIRConfig):
    """Hyperparameters of a bi-encoder: queries and documents are embedded separately and compared.

    Single-vector models (DPR, SBERT) pool the tokens (``*_pooling_strategy`` set); multi-vector models (ColBERT)
    keep every token (pooling None) and score with MaxSim; learned sparse models (SPLADE) project to the vocabulary
    (``projection="mlm"``) and sparsify.

    Args:
        similarity_function: ``"dot"`` or ``"cosine"`` similarity between vectors.
        query_expansion: Pad queries with [MASK] tokens up to ``query_length``.
        attend_to_query_expanded_tokens: Whether the other tokens attend to the query's [MASK] tokens.
        query_pooling_strategy: ``"first"``, ``"mean"``, ``"max"``, ``"sum"`` or None (keep every token).
        query_mask_scoring_tokens: Tokens excluded from scoring in queries: a list of tokens, ``"punctuation"`` or
            None.
        query_aggregation_function: How multi-vector scores of the query tokens are combined: ``"sum"``,
            ``"mean"``, ``"max"`` or ``"harmonic_mean"``.
        doc_expansion: Pad documents with [MASK] tokens up to ``doc_length``.
        attend_to_doc_expanded_tokens: Whether the other tokens attend to the document's [MASK] tokens.
        doc_pooling_strategy: As ``query_pooling_strategy``, for documents.
        doc_mask_scoring_tokens: As ``query_mask_scoring_tokens``, for documents.
        normalize: L2-normalise the embeddings.
        sparsification: None, ``"relu"``, ``"relu_log"`` or ``"relu_log_log"``.
        add_marker_tokens: Insert ``[QUE]`` / ``[DOC]`` marker tokens after the first token.
        embedding_dim: Output dimension of the projection, a positive integer or None for the backbone's hidden size
            (it is always the hidden size without projection, the vocabulary size with ``"mlm"``).
        projection: None, ``"linear"``, ``"linear_no_bias"`` or ``"mlm"`` (the backbone's masked-LM head).
        tie_encoders: Whether queries and documents share one encoder (backbone and projection). False gives
            documents an encoder of their own (DPR-style dual encoders), of the same architecture, that starts as a
            copy of the query encoder when built from one backbone.
        **kwargs: ``query_length``, ``doc_length`` and Hugging Face config arguments.
    """

    model_type = "bi-encoder"
    TOKENIZER_ARGS: ClassVar[set[str]] = LightningIRConfig.TOKENIZER_ARGS.union(
        {
            "query_expansion",
            "attend_to_query_expanded_tokens",
            "doc_expansion",
            "attend_to_doc_expanded_tokens",
            "add_marker_tokens",
        }
    )

    def __init__(
        self,
        similarity_function: SimilarityFunction = "dot",
        query_expansion: bool = False,
        attend_to_query_expanded_tokens: bool = False,
        query_pooling_strategy: PoolingStrategy | None = "mean",
        query_mask_scoring_tokens: MaskScoringTokens | None = None,
        query_aggregation_function: QueryAggregationFunction = "sum",
        doc_expansion: bool = False,
        attend_to_doc_expanded_tokens: bool = False,
        doc_pooling_strategy: PoolingStrategy | None = "mean",
        doc_mask_scoring_tokens: MaskScoringTokens | None = None,
        normalize: bool = False,
        sparsification: SparsificationStrategy | None = None,
        add_marker_tokens: bool = False,
        embedding_dim: int | None = 768,
        projection: Projection | None = "linear",
        tie_encoders: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        check_option(name, "similarity_function", similarity_function, SimilarityFunction)
        check_option(name, "query_pooling_strategy", query_pooling_strategy, PoolingStrategy | None)
        check_option(name, "doc_pooling_strategy", doc_pooling_strategy, PoolingStrategy | None)
        check_option(name, "query_aggregation_function", query_aggregation_function, QueryAggregationFunction)
        check_option(name, "projection", projection, Projection | None)
        check_option(name, "sparsification", sparsification, SparsificationStrategy | None)
        for option, tokens in (
            ("query_mask_scoring_tokens", query_mask_scoring_tokens),
            ("doc_mask_scoring_tokens", doc_mask_scoring_tokens),
        ):
            if isinstance(tokens, str):  # a preset name; a list of tokens is taken as it is
                check_option(name, option, tokens, MaskScoringTokensPreset)
        self.similarity_function = similarity_function
        self.query_expansion = query_expansion
        self.attend_to_query_expanded_tokens = attend_to_query_expanded_tokens
        self.query_pooling_strategy = query_pooling_strategy
        self.query_mask_scoring_tokens = _as_list(query_mask_scoring_tokens)
        self.query_aggregation_function = query_aggregation_function
        self.doc_expansion = doc_expansion
        self.attend_to_doc_expanded_tokens = attend_to_doc_expanded_tokens
        self.doc_pooling_strategy = doc_pooling_strategy
        self.doc_mask_scoring_tokens = _as_list(doc_mask_scoring_tokens)
        self.normalize = normalize
        self.sparsification = sparsification
        self.add_marker_tokens = add_marker_tokens
        self.embedding_dim = check_optional_positive_int(
            name, "embedding_dim", embedding_dim, "the backbone's hidden size; its vocab size with projection='mlm'"
        )
        self.projection = projection
        self.tie_encoders = tie_encoders

    @property
    def is_multi_vector(self) -> bool:
        """Whether documents keep one vector per token (no document pooling)."""
        return self.doc_pooling_strategy is None


def _as_list(tokens: MaskScoringTokens | None) -> str | list[str] | None:
    if tokens is None or isinstance(tokens, str):
        return tokens
    return list(tokens)
