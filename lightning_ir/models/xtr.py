"""XTR, the contextualised token retriever (Lee et al., NeurIPS 2023).

"Rethinking the Role of Token Retrieval in Multi-Vector Retrieval": a multi-vector bi-encoder (one L2-normalised,
projected vector per token, scored with MaxSim averaged over the query's tokens) trained so that the document tokens a
query token *retrieves* carry the score. During training (``token_retrieval_k`` set), each query token keeps only its
``k`` most similar document tokens among all the documents of the batch; a document none of whose tokens it retrieved
gets ``fill_strategy`` for that query token (``"zero"``, as the paper trains), and a document's summed token scores
are divided by ``Z``, the number of query tokens that retrieved at least one of its tokens (``normalization="Z"``).
At inference XTR scores only retrieved tokens too: search a faiss index with ``FaissSearchConfig(
imputation_strategy="min")``, which scores each candidate from the retrieved token scores alone and imputes a missing
one with the lowest score that query token retrieved (the paper's ``m_i``). Re-ranking (all document tokens at hand)
scores with MaxSim, mean over the query tokens.

The published checkpoint (``google/xtr-base-en``) is a T5 encoder (``config.json`` of model type ``t5``) with a
``2_Dense`` folder in sentence-transformers' Dense format (768 -> 128, no bias, Identity activation) and no
``modules.json``: XTR's code runs the encoder, the Dense layer and L2-normalises every token vector. A
sentence-transformers folder of the same model (Transformer of a T5 encoder, Dense on ``token_embeddings``, optional
Normalize on ``token_embeddings``, no Pooling: a pooled T5 model such as sentence-T5 has a Pooling module) is
recognised too.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import torch
from transformers import PretrainedConfig, PreTrainedModel

from ..base.layouts import CheckpointFiles, CheckpointLayout
from ..base.loading import check_model_path
from ..bi_encoder.config import BiEncoderConfig
from ..bi_encoder.embedding import BiEncoderEmbedding
from ..bi_encoder.model import BiEncoderModel
from ..bi_encoder.scoring import ScoringFunction, _docs_per_query
from ..console import quiet_transformers_loading, warn_missing_weights
from ..options import (
    PoolingStrategy,
    Projection,
    QueryAggregationFunction,
    TokenRetrievalFill,
    TokenRetrievalNormalization,
)
from ..retrieve.base.scoring import aggregate_query_tokens
from ..validation import check_option, check_optional_positive_int
from .xtr_checkpoint import T5_ENCODERS, read_xtr_checkpoint


class XTRConfig(BiEncoderConfig):
    """An XTR multi-vector bi-encoder (see the module docstring).

    Every default that differs from :class:`BiEncoderConfig`'s is in this signature, so a config built from YAML
    (where jsonargparse passes each default explicitly) equals ``XTRConfig()``.

    Args:
        token_retrieval_k: Training only: how many document tokens of the batch each query token retrieves (the
            paper's ``k_train``); None scores with plain MaxSim.
        fill_strategy: Training only: the score of a query token for a document none of whose tokens it retrieved:
            ``"zero"`` or ``"min"`` (the lowest score that query token retrieved).
        normalization: Training only: ``"Z"`` divides a document's summed token scores by the number of query
            tokens that retrieved one of its tokens; None combines them with ``query_aggregation_function``.
        query_pooling_strategy: None: one vector per query token.
        doc_pooling_strategy: None: one vector per document token.
        query_aggregation_function: ``"mean"``: MaxSim averaged over the query tokens.
        normalize: L2-normalise the token vectors.
        embedding_dim: Dimension of the token vectors.
        projection: Projection of the token vectors.
        **kwargs: Other :class:`BiEncoderConfig` arguments.
    """

    model_type = "xtr"

    def __init__(
        self,
        token_retrieval_k: int | None = None,
        fill_strategy: TokenRetrievalFill = "zero",
        normalization: TokenRetrievalNormalization | None = "Z",
        query_pooling_strategy: PoolingStrategy | None = None,
        doc_pooling_strategy: PoolingStrategy | None = None,
        query_aggregation_function: QueryAggregationFunction = "mean",
        normalize: bool = True,
        embedding_dim: int | None = 128,
        projection: Projection | None = "linear_no_bias",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            query_pooling_strategy=query_pooling_strategy,
            doc_pooling_strategy=doc_pooling_strategy,
            query_aggregation_function=query_aggregation_function,
            normalize=normalize,
            embedding_dim=embedding_dim,
            projection=projection,
            **kwargs,
        )
        name = type(self).__name__
        self.token_retrieval_k = check_optional_positive_int(name, "token_retrieval_k", token_retrieval_k, "MaxSim")
        check_option(name, "fill_strategy", fill_strategy, TokenRetrievalFill)
        check_option(name, "normalization", normalization, TokenRetrievalNormalization | None)
        self.fill_strategy = fill_strategy
        self.normalization = normalization


def token_retrieval_scores(
    query: torch.Tensor,
    query_mask: torch.Tensor,
    docs: torch.Tensor,
    doc_mask: torch.Tensor,
    k: int,
    fill_strategy: TokenRetrievalFill = "zero",
    normalization: TokenRetrievalNormalization | None = "Z",
    aggregation: QueryAggregationFunction = "mean",
) -> torch.Tensor:
    """XTR's training scores: every query against every document, from the tokens each query token retrieves.

    Each query token retrieves its ``k`` most similar tokens among all documents' (unmasked) tokens; its score for a
    document is the best of that document's retrieved tokens, or the fill value when it retrieved none.

    Args:
        query: ``(queries, query_tokens, dim)`` query vectors.
        query_mask: ``(queries, query_tokens)`` bool, the query tokens that score.
        docs: ``(docs, doc_tokens, dim)`` document vectors.
        doc_mask: ``(docs, doc_tokens)`` bool, the document tokens that can be retrieved.
        k: Tokens retrieved per query token (at most the number of unmasked document tokens).
        fill_strategy: ``"zero"`` or ``"min"`` (the lowest score the query token retrieved).
        normalization: ``"Z"`` (see :class:`XTRConfig`) or None (``aggregation`` over the query tokens).
        aggregation: The query aggregation function when ``normalization`` is None.

    Returns:
        ``(queries, docs)`` scores.
    """
    num_queries, num_tokens = query.shape[:2]
    num_docs, doc_length = docs.shape[:2]
    similarities = torch.einsum("qsd,ktd->qskt", query, docs).flatten(2)
    valid = doc_mask.reshape(-1).bool()
    lowest = torch.finfo(similarities.dtype).min
    candidates = similarities.masked_fill(~valid, lowest)
    top_scores, top_positions = candidates.topk(max(1, min(k, int(valid.sum()))), dim=-1)
    retrieved = torch.zeros_like(candidates, dtype=torch.bool).scatter_(-1, top_positions, True) & valid
    shape = (num_queries, num_tokens, num_docs, doc_length)
    best = candidates.masked_fill(~retrieved, lowest).view(shape).amax(dim=-1)
    hit = retrieved.view(shape).any(dim=-1)
    fill = top_scores[..., -1:] if fill_strategy == "min" else torch.zeros_like(top_scores[..., -1:])
    token_scores = torch.where(hit, best, fill)
    scoring = query_mask.bool()[:, :, None]
    if normalization == "Z":
        summed = token_scores.masked_fill(~scoring, 0.0).sum(dim=1)
        return summed / (hit & scoring).sum(dim=1).clamp(min=1).to(summed.dtype)
    return aggregate_query_tokens(token_scores, query_mask.bool(), aggregation)


class XTRScoringFunction(ScoringFunction):
    """MaxSim scoring, or XTR's in-batch token retrieval scores in training mode (``token_retrieval_k`` set).

    Args:
        config: The XTR config.
    """

    def __init__(self, config: XTRConfig) -> None:
        super().__init__(config)
        self.token_retrieval_k = config.token_retrieval_k
        self.fill_strategy: TokenRetrievalFill = config.fill_strategy
        self.normalization: TokenRetrievalNormalization | None = config.normalization

    def forward(
        self,
        query_embeddings: BiEncoderEmbedding,
        doc_embeddings: BiEncoderEmbedding,
        num_docs: Sequence[int] | int | None = None,
    ) -> torch.Tensor:
        """Scores ``(total_docs,)`` of each query's own documents; in training, its tokens retrieve from all documents.

        Args:
            query_embeddings: ``num_queries`` queries.
            doc_embeddings: The documents of all queries, flattened in query order.
            num_docs: Documents per query (a list, or one int for all); None splits the documents evenly.
        """
        if not self.training or self.token_retrieval_k is None:
            return super().forward(query_embeddings, doc_embeddings, num_docs)
        repeats = _docs_per_query(len(query_embeddings), len(doc_embeddings), num_docs)
        matrix = self.score_matrix(query_embeddings, doc_embeddings)
        rows = torch.repeat_interleave(torch.arange(len(query_embeddings)), repeats).to(matrix.device)
        return matrix[rows, torch.arange(len(doc_embeddings), device=matrix.device)]

    def score_matrix(self, query_embeddings: BiEncoderEmbedding, doc_embeddings: BiEncoderEmbedding) -> torch.Tensor:
        """Score every query against every document ``(num_queries, num_docs)`` (token retrieval in training)."""
        if not self.training or self.token_retrieval_k is None:
            return super().score_matrix(query_embeddings, doc_embeddings)
        return token_retrieval_scores(
            self._prepare(query_embeddings.embeddings),
            query_embeddings.scoring_mask,
            self._prepare(doc_embeddings.embeddings),
            doc_embeddings.scoring_mask,
            self.token_retrieval_k,
            self.fill_strategy,
            self.normalization,
            self.aggregation_function,
        )


def encoder_only_config(config: PretrainedConfig) -> PretrainedConfig:
    """A copy of a T5-family config for its encoder alone (as ``T5EncoderModel`` sets it); others unchanged."""
    if config.model_type not in T5_ENCODERS or not getattr(config, "is_encoder_decoder", False):
        return config
    encoder_config = copy.deepcopy(config)
    encoder_config.is_encoder_decoder = False
    encoder_config.use_cache = False
    return encoder_config


class XTRModel(BiEncoderModel):
    """The XTR bi-encoder configured by :class:`XTRConfig`; a T5-family backbone runs as its encoder alone.

    Args:
        config: The XTR config (with its ``backbone_config`` set).
    """

    config_class = XTRConfig
    config: XTRConfig

    def __init__(self, config: XTRConfig, *args: Any, **kwargs: Any) -> None:
        if config.backbone_config is not None:
            config.backbone_config = encoder_only_config(config.backbone_config)
        super().__init__(config, *args, **kwargs)
        self.scoring_function = XTRScoringFunction(config)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        pretrained_model_name_or_path: str | Path,
        *args: Any,
        config: BiEncoderConfig | None = None,
        **kwargs: Any,
    ) -> BiEncoderModel:
        """Load a published XTR checkpoint (see the module docstring), else as :meth:`BiEncoderModel.from_pretrained`.

        Args:
            pretrained_model_name_or_path: A local folder or a Hugging Face hub id.
            *args: Passed to the loaders.
            config: Settings replacing the checkpoint's (e.g. ``XTRConfig(token_retrieval_k=256)`` to fine-tune).
            **kwargs: Passed to the Hugging Face loaders.
        """
        path = check_model_path(
            pretrained_model_name_or_path, f"{cls.__name__}.from_pretrained", "pretrained_model_name_or_path"
        )
        hub_kwargs: dict[str, Any] = {
            k: kwargs[k] for k in ("revision", "cache_dir", "local_files_only", "token") if k in kwargs
        }
        checkpoint = read_xtr_checkpoint(CheckpointFiles(path, hub_kwargs))
        if checkpoint is None:
            return super().from_pretrained(path, *args, config=config, **kwargs)
        config = XTRConfig(**checkpoint.config_kwargs) if config is None else config
        model = super(BiEncoderModel, cls).from_pretrained(checkpoint.backbone_path, *args, config=config, **kwargs)
        for projection in (model.projection, model.doc_projection):
            if projection is not None:
                projection.load_state_dict(checkpoint.dense_weights)
        model.config.name_or_path = path
        return cast(BiEncoderModel, model)

    def _build_backbone(self) -> PreTrainedModel:
        encoder_class = T5_ENCODERS.get(self.backbone_config.model_type)
        return super()._build_backbone() if encoder_class is None else encoder_class(self.backbone_config)

    def _load_pretrained_backbone(self, model_name_or_path: str, **kwargs: Any) -> None:
        encoder_class = T5_ENCODERS.get(self.backbone_config.model_type)
        if encoder_class is None:
            super()._load_pretrained_backbone(model_name_or_path, **kwargs)
            return
        with quiet_transformers_loading():
            loaded = encoder_class.from_pretrained(
                model_name_or_path, config=self.backbone_config, output_loading_info=True, **kwargs
            )
        backbone, info = cast(tuple[PreTrainedModel, dict[str, Any]], loaded)
        warn_missing_weights(info, model_name_or_path)
        self.backbone = backbone
        self.config.backbone_config = backbone.config
        self.doc_backbone, self.doc_projection = self._doc_encoder()


def _detect_xtr(files: CheckpointFiles) -> XTRConfig | None:
    checkpoint = read_xtr_checkpoint(files)
    return None if checkpoint is None else XTRConfig(**checkpoint.config_kwargs)


XTR_LAYOUT = CheckpointLayout(
    family="XTR (`google/xtr-base-en`)",
    kind="bi-encoder",
    recognised_by="`config.json` of a T5 encoder with a `2_Dense` folder and no `modules.json`; or `modules.json` "
    "of Transformer (T5), Dense on `token_embeddings`, optional Normalize and no Pooling (a Pooling module means a "
    "pooled T5 model such as sentence-T5)",
    reference="sentence-transformers `SentenceTransformer.encode(output_value='token_embeddings')` + XTR scoring "
    "(MaxSim mean; in-batch token retrieval: sentence-transformers `xtr_scores`)",
    detect=_detect_xtr,
)
