"""The string options of Lightning IR, each declared once as a ``Literal``.

Configs, models, losses and the retrieval package annotate their options with these types and check values against
them with :func:`~lightning_ir.validation.check_option`, so the allowed values live in exactly one place. The module
imports nothing but :mod:`typing` and :mod:`collections.abc`: the retrieval package, which never imports Lightning,
uses it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

# ---- models ---------------------------------------------------------------------------------------------------------

SimilarityFunction: TypeAlias = Literal["dot", "cosine"]
"""How a bi-encoder compares a query vector with a document vector."""

QueryAggregationFunction: TypeAlias = Literal["sum", "mean", "max", "harmonic_mean"]
"""How a multi-vector bi-encoder combines the (MaxSim) scores of a query's vectors into one score."""

PoolingStrategy: TypeAlias = Literal["first", "mean", "max", "sum"]
"""How token embeddings ``(batch, seq, dim)`` are pooled into one vector (bi-encoders: None keeps every token)."""

SparsificationStrategy: TypeAlias = Literal["relu", "relu_log", "relu_log_log"]
"""How a bi-encoder makes its embeddings non-negative (``relu_log`` is ``log(1 + relu(x))``, ``relu_log_log``
``log(1 + log(1 + relu(x)))`` as OpenSearch's ``log1p_relu`` SPLADE models)."""

Projection: TypeAlias = Literal["linear", "linear_no_bias", "mlm"]
"""The head a bi-encoder puts on the backbone's token embeddings (``mlm``: the backbone's masked-LM head)."""

MaskScoringTokensPreset: TypeAlias = Literal["punctuation"]
"""A named set of tokens left out of a bi-encoder's scoring."""

MaskScoringTokens: TypeAlias = MaskScoringTokensPreset | Sequence[str]
"""Tokens left out of a bi-encoder's scoring: a preset name or a list of tokens."""

TokenRetrievalFill: TypeAlias = Literal["zero", "min"]
"""The score XTR training gives a query token that retrieved none of a document's tokens (``min``: the lowest score
it retrieved)."""

TokenRetrievalNormalization: TypeAlias = Literal["Z"]
"""How XTR training normalises a document's summed token scores (``Z``: by the query tokens that retrieved one of its
tokens)."""

T5DecoderStrategy: TypeAlias = Literal["mono", "rank"]
"""How a T5 cross-encoder scores with its decoder's first step (``mono``: monoT5's true/false log-probability,
``rank``: RankT5's score-token logit); see :class:`~lightning_ir.models.T5CrossEncoderConfig`."""

# ---- losses ---------------------------------------------------------------------------------------------------------

RankDiscount: TypeAlias = Literal["log2", "reciprocal"]
"""How :class:`~lightning_ir.loss.approximate.ApproxRankMSE` weighs each document's error by its target rank."""

PositiveSamplingTechnique: TypeAlias = Literal["all", "first"]
"""Which of a query's own documents :class:`~lightning_ir.loss.in_batch.InBatchCrossEntropy` takes as positives."""

NegativeSamplingTechnique: TypeAlias = Literal["all", "first", "all_and_non_first"]
"""Which in-batch documents :class:`~lightning_ir.loss.in_batch.InBatchCrossEntropy` takes as negatives."""

# ---- retrieval ------------------------------------------------------------------------------------------------------

ImputationStrategy: TypeAlias = Literal["min", "gather"]
"""How a faiss search scores multi-vector candidates (see :class:`~lightning_ir.retrieve.FaissSearchConfig`)."""

StoragePrecision: TypeAlias = Literal["float32", "float16", "bfloat16", "int8"]
"""How a dense index stores its vectors (``int8``: faiss 8-bit scalar quantisation); search computes in float32."""

IndexMode: TypeAlias = Literal["overwrite", "add"]
"""Whether an indexer replaces an existing index or adds its documents to it as a new shard."""

BM25Method: TypeAlias = Literal["lucene", "robertson", "atire", "bm25l", "bm25+"]
"""The BM25 variant of :class:`~lightning_ir.retrieve.BM25IndexConfig` (bm25s' ``method``)."""

BM25Backend: TypeAlias = Literal["numpy", "numba"]
"""How :class:`~lightning_ir.retrieve.BM25Searcher` scores queries (bm25s' ``backend``; ``numba`` needs numba)."""

# ---- data -----------------------------------------------------------------------------------------------------------

SamplingStrategy: TypeAlias = Literal["single_relevant", "top", "random", "log_random", "top_and_random"]
"""How :class:`~lightning_ir.data.RunDataset` picks ``sample_size`` documents of a query's ranking."""

RunTargets: TypeAlias = Literal["relevance", "subtopic_relevance", "rank", "score"]
"""What :class:`~lightning_ir.data.RunDataset` puts in a sample's ``targets``."""

TupleTargets: TypeAlias = Literal["order", "score"]
"""What :class:`~lightning_ir.data.TupleDataset` puts in a sample's ``targets``."""

TrainingFileFormat: TypeAlias = Literal["kd-tsv", "colbert-json", "trec-run"]
"""The file layouts of the registered training sets (see :mod:`lightning_ir.data.registered_datasets`)."""

TrainingEntity: TypeAlias = Literal["docpairs", "scoreddocs"]
"""The ir_datasets entity a registered training set provides."""

# ---- models, adapters, experiments, inference ------------------------------------------------------------------

LoraBias: TypeAlias = Literal["none", "all", "lora_only"]
"""Which biases of a LoRA adapter train (peft's ``bias``)."""

LoraAllLinear: TypeAlias = Literal["all-linear"]
"""``LoraAdapterConfig.target_modules`` value that adapts every linear layer of the backbone (peft's shorthand)."""

ModelKind: TypeAlias = Literal["bi-encoder", "cross-encoder"]
"""The kind of model a published checkpoint loads as."""

FusionMethod: TypeAlias = Literal["rrf", "combsum", "combmnz"]
"""How runs are fused: reciprocal rank fusion, CombSUM or CombMNZ."""

ScoreNormalization: TypeAlias = Literal["min-max", "z-score"]
"""How CombSUM / CombMNZ normalise each run's scores per query before adding them."""

NegativeSampling: TypeAlias = Literal["random", "top"]
"""How negatives are taken from the rank window: ``random`` (a seeded sample) or ``top`` (the best-ranked ones)."""

SkipReason: TypeAlias = Literal["no_positive", "no_ranking", "too_few_candidates"]
"""Why a query yields no tuple: no judged-relevant document, no ranking in the run, or too few negatives left."""

Reduction: TypeAlias = Literal["amax", "sum"]
"""How the vectors of a text's tokens are combined (``torch.scatter_reduce`` names)."""

InferencePrecision: TypeAlias = Literal["bf16-mixed", "16-mixed", "32-true"]
"""The precisions :func:`inference_precision` chooses from (Lightning ``Trainer(precision=...)`` values)."""

EncoderSide: TypeAlias = Literal["query", "doc"]
"""Which encoder of a bi-encoder with untied encoders encodes a text."""
