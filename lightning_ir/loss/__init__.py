"""Loss functions for fine-tuning rankers, grouped by family.

A module takes its ``loss_functions`` as a list of losses or ``(loss, weight)`` pairs; each loss is a plain object
with a ``compute_loss(output, batch)`` method.
"""

from __future__ import annotations

from .approximate import ApproxLossFunction, ApproxMRR, ApproxNDCG, ApproxRankMSE
from .base import (
    InBatchLossFunction,
    LossFunction,
    RegularizationLossFunction,
    ScoringLossFunction,
)
from .in_batch import InBatchCrossEntropy
from .listwise import KLDivergence, LocalizedContrastiveEstimation
from .pairwise import ConstantMarginMSE, PairwiseLossFunction, RankNet, SupervisedMarginMSE
from .regularization import FLOPSRegularization, L1Regularization, L2Regularization

__all__ = [
    "ApproxLossFunction",
    "ApproxMRR",
    "ApproxNDCG",
    "ApproxRankMSE",
    "ConstantMarginMSE",
    "FLOPSRegularization",
    "InBatchCrossEntropy",
    "InBatchLossFunction",
    "KLDivergence",
    "L1Regularization",
    "L2Regularization",
    "LocalizedContrastiveEstimation",
    "LossFunction",
    "PairwiseLossFunction",
    "RankNet",
    "RegularizationLossFunction",
    "ScoringLossFunction",
    "SupervisedMarginMSE",
]
