"""Listwise losses: compare the score distribution over all documents of a query with the targets."""

from __future__ import annotations

import torch
from torch.nn.functional import cross_entropy, kl_div, log_softmax

from .base import ScoringLossFunction


class KLDivergence(ScoringLossFunction):
    """Kullback-Leibler divergence from the teacher's distribution: ``KL(softmax(targets) || softmax(scores))``.

    It distils a teacher's scores into the model by matching, per query, the softmax distribution of the scores over
    the query's documents to the softmax of the targets; the result is averaged over queries.

    Paper: Hinton et al., "Distilling the Knowledge in a Neural Network", 2015 (as used for rankers, e.g. by Lin et al.,
    "In-Batch Negatives for Knowledge Distillation with Tightly-Coupled Teachers for Dense Retrieval", 2021).

    Batch: every query has the same number of documents; ``batch.targets`` are teacher scores (logits).

    Example:
        >>> import math, torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([0.0, 0.0]))
        >>> batch = SimpleNamespace(docs=[["a", "b"]], targets=torch.tensor([math.log(3.0), 0.0]))
        >>> round(KLDivergence().compute_loss(output, batch).item(), 4)  # 0.75 * log(1.5) + 0.25 * log(0.5)
        0.1308
    """

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the KL divergence averaged over the queries of the batch.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Teacher scores (logits), ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        return kl_div(log_softmax(scores, dim=-1), log_softmax(targets, dim=-1), reduction="batchmean", log_target=True)


class LocalizedContrastiveEstimation(ScoringLossFunction):
    """Cross entropy of the softmax over a query's documents, with the highest-target document as the positive.

    It optimises the positive to be scored above the query's other (hard negative) documents:
    ``-log(exp(s_pos) / sum_j exp(s_j))``, averaged over queries. Ties for the highest target go to the first one.

    Paper: Gao et al., "Rethink Training of BERT Rerankers in Multi-Stage Retrieval Pipeline", ECIR 2021.

    Batch: every query has the same number of documents; ``batch.targets`` mark the positive by the highest value
    (``TupleDataset(targets="order")`` gives ``[1, 0, ...]``: the first document).

    Example:
        >>> import math, torch
        >>> from types import SimpleNamespace
        >>> output = SimpleNamespace(scores=torch.tensor([0.0, math.log(3.0)]))
        >>> batch = SimpleNamespace(docs=[["p", "n"]], targets=torch.tensor([1.0, 0.0]))
        >>> round(LocalizedContrastiveEstimation().compute_loss(output, batch).item(), 4)  # -log(1 / 4)
        1.3863
    """

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the cross entropy averaged over the queries of the batch.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Targets whose highest value marks the positive, ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """
        return cross_entropy(scores, targets.argmax(dim=-1))
