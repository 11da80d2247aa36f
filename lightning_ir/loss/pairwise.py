"""Pairwise losses: compare the scores of two documents of the same query.

All pairwise losses average over every pair of the batch. A batch without a single pair gives a zero loss that is
still connected to the scores (so the step runs, with zero gradients).
"""

from __future__ import annotations

import torch
from torch.nn.functional import softplus

from .base import ScoringLossFunction
from .tensor_ops import masked_mean, pairwise_differences


class PairwiseLossFunction(ScoringLossFunction):
    """Base class of the pairwise losses; pairs come from the target order."""

    def preferred_pairs(self, targets: torch.Tensor) -> torch.Tensor:
        """Return the mask of ordered pairs ``(i, j)`` with ``targets[i] > targets[j]``.

        Args:
            targets: Targets, ``(batch, num_docs)``.

        Returns:
            Boolean mask, ``(batch, num_docs, num_docs)``.
        """
        return pairwise_differences(targets) > 0


class RankNet(PairwiseLossFunction):
    """Logistic loss on score differences: ``log(1 + exp(-(s_i - s_j)))`` for each pair with ``t_i > t_j``.

    It optimises the probability that a document with a higher target is scored above one with a lower target.

    Paper: Burges et al., "Learning to Rank using Gradient Descent", ICML 2005.

    Batch: every query has the same number of documents; ``batch.targets`` (``(total_docs,)``) defines the pairs:
    every ``(i, j)`` of the same query with ``targets[i] > targets[j]``. With ``TupleDataset(targets="order")`` the
    targets are ``[1, 0, ...]``, so the first document is preferred over each of the others.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([2.0, 1.0, 0.0, 1.0]))
        >>> batch = SimpleNamespace(docs=[["p", "n"], ["p", "n"]], targets=torch.tensor([1.0, 0.0, 1.0, 0.0]))
        >>> round(RankNet().compute_loss(output, batch).item(), 4)  # (log(1 + e^-1) + log(1 + e^1)) / 2
        0.8133
    """

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the mean logistic loss over all preferred pairs of the batch.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Targets defining the pairs, ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        return masked_mean(softplus(-pairwise_differences(scores)), self.preferred_pairs(targets))


class ConstantMarginMSE(PairwiseLossFunction):
    """Squared error between each pair's score difference and a constant margin: ``(s_i - s_j - margin) ** 2``.

    It optimises the preferred document to be scored exactly ``margin`` above the other, for each pair with
    ``t_i > t_j``.

    Paper: the constant-margin variant of Margin-MSE (Hofstätter et al., "Improving Efficient Neural Ranking Models
    with Cross-Architecture Knowledge Distillation", 2020) for training without a teacher.

    Batch: every query has the same number of documents; ``batch.targets`` define the pairs as for :class:`RankNet`.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([2.0, 1.5, 0.0]))
        >>> batch = SimpleNamespace(docs=[["p", "n1", "n2"]], targets=torch.tensor([1.0, 0.0, 0.0]))
        >>> ConstantMarginMSE(margin=1.0).compute_loss(output, batch).item()  # ((0.5 - 1) ** 2 + (2 - 1) ** 2) / 2
        0.625
    """

    def __init__(self, margin: float = 1.0) -> None:
        """Create the loss.

        Args:
            margin: Target difference between the scores of a preferred and a less preferred document.
        """
        self.margin = margin

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the mean squared error to the margin over all preferred pairs of the batch.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Targets defining the pairs, ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        errors = (pairwise_differences(scores) - self.margin) ** 2
        return masked_mean(errors, self.preferred_pairs(targets))


class SupervisedMarginMSE(PairwiseLossFunction):
    """Margin-MSE: squared error between the score margin and the teacher's margin, ``(s_i - s_j - (t_i - t_j))**2``.

    It distils a teacher's score differences into the model, over every pair ``i < j`` of a query's documents (for a
    ``(positive, negative)`` triple this is the original Margin-MSE).

    Paper: Hofstätter et al., "Improving Efficient Neural Ranking Models with Cross-Architecture Knowledge
    Distillation", 2020.

    Batch: every query has the same number of documents; ``batch.targets`` are the teacher's scores (e.g.
    ``TupleDataset(targets="score")`` or ``RunDataset(targets="score")``).

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([3.0, 1.0]))
        >>> batch = SimpleNamespace(docs=[["p", "n"]], targets=torch.tensor([10.0, 7.0]))
        >>> SupervisedMarginMSE().compute_loss(output, batch).item()  # (2 - 3) ** 2
        1.0
    """

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the mean squared margin error over all document pairs of the batch.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Teacher scores, ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        errors = (pairwise_differences(scores) - pairwise_differences(targets)) ** 2
        num_docs = scores.shape[1]
        upper = torch.ones(num_docs, num_docs, dtype=torch.bool, device=scores.device).triu(diagonal=1)
        return masked_mean(errors, upper.expand_as(errors))
