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

SparsificationStrategy: TypeAlias = Literal["relu", "relu_log"]
"""How a bi-encoder makes its embeddings non-negative (``relu_log`` is ``log(1 + relu(x))``)."""

Projection: TypeAlias = Literal["linear", "linear_no_bias", "mlm"]
"""The head a bi-encoder puts on the backbone's token embeddings (``mlm``: the backbone's masked-LM head)."""

MaskScoringTokensPreset: TypeAlias = Literal["punctuation"]
"""A named set of tokens left out of a bi-encoder's scoring."""

MaskScoringTokens: TypeAlias = MaskScoringTokensPreset | Sequence[str]
"""Tokens left out of a bi-encoder's scoring: a preset name or a list of tokens."""

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
