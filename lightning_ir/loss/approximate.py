"""Losses on differentiable approximations of ranks and ranking metrics.

The rank of document ``i`` is approximated by ``1 + sum_{j != i} sigmoid((s_j - s_i) / temperature)``: each other
document adds the (soft) probability of being scored above ``i``. Lower temperatures approach the true ranks.

Paper: Qin et al., "A General Approximation Framework for Direct Optimization of Information Retrieval Measures",
Information Retrieval 13, 2010; Bruch et al., "Revisiting Approximate Metric Optimization in the Age of Deep Neural
Networks", SIGIR 2019.
"""

from __future__ import annotations

import torch

from ..options import RankDiscount
from ..validation import check_option, check_positive_number
from .base import ScoringLossFunction
from .tensor_ops import masked_mean, pairwise_differences


class ApproxLossFunction(ScoringLossFunction):
    """Base class: provides :meth:`approx_ranks` with a temperature."""

    def __init__(self, temperature: float = 1.0) -> None:
        """Create the loss.

        Args:
            temperature: Temperature of the sigmoid that softens score comparisons; must be positive.

        Raises:
            ValueError: If the temperature is not positive.
        """
        self.temperature = check_positive_number(type(self).__name__, "temperature", temperature)

    def approx_ranks(self, scores: torch.Tensor) -> torch.Tensor:
        """Approximate the 1-based rank of every document by its scores.

        Args:
            scores: Scores, ``(batch, num_docs)``; must be finite.

        Returns:
            Approximate ranks, ``(batch, num_docs)``.
        """
        # above[b, i, j] = sigmoid((s_j - s_i) / T), the soft probability that j is scored above i
        above = torch.sigmoid(-pairwise_differences(scores) / self.temperature)
        return 1.0 + above.sum(dim=-1) - 0.5  # drop j == i, which contributes sigmoid(0) = 0.5


def true_ranks(targets: torch.Tensor) -> torch.Tensor:
    """Return the 1-based ranks of the documents sorted by descending target (ties keep document order).

    Args:
        targets: Targets, ``(batch, num_docs)``.

    Returns:
        Ranks, ``(batch, num_docs)``, with the dtype of the targets.
    """
    order = targets.argsort(dim=-1, descending=True, stable=True)
    positions = torch.arange(1, targets.shape[-1] + 1, device=targets.device, dtype=targets.dtype)
    return torch.empty_like(targets).scatter_(-1, order, positions.expand_as(targets))


class ApproxNDCG(ApproxLossFunction):
    """``1 - nDCG`` computed with approximate ranks, averaged over queries with at least one relevant document.

    It optimises nDCG over each query's documents: ``DCG = sum_i gain_i / log2(1 + rank_i)`` with the approximate
    ranks, divided by the DCG of the ideal order. Gains are ``2 ** target - 1`` (``scale_gains=True``) or the targets.

    Paper: Qin et al., 2010; Bruch et al., SIGIR 2019 (see the module docstring).

    Batch: every query has the same number of documents; ``batch.targets`` are non-negative relevance labels
    (``TupleDataset(targets="order")`` or ``RunDataset(targets="relevance")``). Queries whose gains are all 0 have no
    nDCG and are left out; a batch of only such queries gives a zero loss.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([0.0, 0.0]))
        >>> batch = SimpleNamespace(docs=[["p", "n"]], targets=torch.tensor([1.0, 0.0]))
        >>> round(ApproxNDCG().compute_loss(output, batch).item(), 4)  # both ranks are 1.5: 1 - 1 / log2(2.5)
        0.2435
    """

    def __init__(self, temperature: float = 1.0, scale_gains: bool = True) -> None:
        """Create the loss.

        Args:
            temperature: Temperature of the approximate ranks.
            scale_gains: Use ``2 ** target - 1`` as gains instead of the targets themselves.
        """
        super().__init__(temperature)
        self.scale_gains = scale_gains

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute ``1 - approximate nDCG``, averaged over queries.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Non-negative relevance labels, ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        gains = 2**targets - 1 if self.scale_gains else targets
        dcg = (gains / torch.log2(1 + self.approx_ranks(scores))).sum(dim=-1)
        ideal_gains = gains.sort(dim=-1, descending=True).values
        positions = torch.arange(1, gains.shape[-1] + 1, device=gains.device, dtype=gains.dtype)
        ideal_dcg = (ideal_gains / torch.log2(1 + positions)).sum(dim=-1)
        has_relevant = ideal_dcg > 0
        ndcg = dcg / torch.where(has_relevant, ideal_dcg, torch.ones_like(ideal_dcg))
        return masked_mean(1 - ndcg, has_relevant)


class ApproxMRR(ApproxLossFunction):
    """``1 - reciprocal rank`` of the best-ranked relevant document, with approximate ranks.

    It optimises MRR: per query, the largest ``1 / rank_i`` over relevant documents (``target > 0``), averaged over
    queries with at least one relevant document.

    Paper: Qin et al., 2010 (see the module docstring).

    Batch: every query has the same number of documents; ``batch.targets`` mark relevant documents with values > 0
    (``TupleDataset(targets="order")`` gives ``[1, 0, ...]``). A batch without relevant documents gives a zero loss.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([0.0, 0.0]))
        >>> batch = SimpleNamespace(docs=[["p", "n"]], targets=torch.tensor([1.0, 0.0]))
        >>> round(ApproxMRR().compute_loss(output, batch).item(), 4)  # rank 1.5: 1 - 1 / 1.5
        0.3333
    """

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute ``1 - approximate reciprocal rank``, averaged over queries.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Targets, > 0 for relevant documents, ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        relevant = targets > 0
        reciprocal_ranks = torch.where(relevant, 1 / self.approx_ranks(scores), torch.zeros_like(scores))
        return masked_mean(1 - reciprocal_ranks.max(dim=-1).values, relevant.any(dim=-1))


class ApproxRankMSE(ApproxLossFunction):
    """Mean squared error between the approximate ranks and the ranks given by the targets, optionally discounted.

    It optimises the model to reproduce the target (e.g. a teacher's) ranking: ``w_i * (approx_rank_i - rank_i) ** 2``
    averaged over all documents, with ``w_i = 1`` (``discount=None``), ``1 / log2(1 + rank_i)`` (``"log2"``) or
    ``1 / rank_i`` (``"reciprocal"``) so that errors at the top weigh more. Target ties are ranked in document order.

    Paper: the approximate ranks of Qin et al., 2010 (see the module docstring), regressed onto the target ranking
    with the discounts of nDCG (``"log2"``) or MRR (``"reciprocal"``) for distilling a teacher's ranking.

    Batch: every query has the same number of documents; ``batch.targets`` order them (higher is better), e.g.
    teacher scores or ``RunDataset(targets="rank")``-derived values.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([0.0, 0.0]))
        >>> batch = SimpleNamespace(docs=[["p", "n"]], targets=torch.tensor([1.0, 0.0]))
        >>> ApproxRankMSE().compute_loss(output, batch).item()  # ranks 1.5 vs 1 and 1.5 vs 2
        0.25
    """

    def __init__(self, temperature: float = 1.0, discount: RankDiscount | None = None) -> None:
        """Create the loss.

        Args:
            temperature: Temperature of the approximate ranks.
            discount: Weighting of each document's error by its target rank: None, ``"log2"`` or ``"reciprocal"``.

        Raises:
            ValueError: If the discount is unknown.
        """
        check_option(type(self).__name__, "discount", discount, RankDiscount | None)
        super().__init__(temperature)
        self.discount = discount

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the (discounted) mean squared rank error over all documents of the batch.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Targets ordering the documents (higher is better), ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        ranks = true_ranks(targets)
        errors = (self.approx_ranks(scores) - ranks) ** 2
        if self.discount == "log2":
            errors = errors / torch.log2(1 + ranks)
        elif self.discount == "reciprocal":
            errors = errors / ranks
        return errors.mean()
