"""In-batch losses: each query is scored against the documents of every query in the (all-gathered) batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch.nn.functional import softplus

from ..options import NegativeSamplingTechnique, PositiveSamplingTechnique
from ..validation import check_option, check_positive, check_positive_number
from .base import InBatchLossFunction

if TYPE_CHECKING:
    from ..base.outputs import LightningIROutput
    from ..data import TrainBatch


class InBatchCrossEntropy(InBatchLossFunction):
    """Cross entropy of each positive against the query's sampled in-batch negatives.

    It optimises, for every positive ``p`` of query ``q``, ``-log(exp(s_qp) / (exp(s_qp) + sum_n exp(s_qn)))`` over
    the negatives ``n`` of ``q``, averaged over all positives of the batch. Other queries' documents (also from other
    processes, when the module all-gathers them) serve as negatives without being encoded twice.

    Paper: Karpukhin et al., "Dense Passage Retrieval for Open-Domain Question Answering", EMNLP 2020 (in-batch
    negatives); Qu et al., "RocketQA", NAACL 2021 (cross-batch negatives from other processes).

    Positive sampling (``pos_sampling_technique``), among query ``q``'s own documents:

    - ``"first"``: the first document of ``q`` is its positive (no targets needed);
    - ``"all"``: every own document with ``target > 0`` is a positive.

    Negative sampling (``neg_sampling_technique``), from the columns of the score matrix; a positive of ``q`` is
    never one of its negatives, and neither is any document of this process's batch (see :func:`known_positives`)
    whose id is a positive of ``q``, of another row with ``q``'s query id, or judged relevant to ``q`` in
    ``batch.qrels`` (queries with several relevant documents give one training tuple per positive, and these often
    share a batch):

    - ``"first"``: the first document of every other query (of this and other processes);
    - ``"all"``: every document of any query or process that is not a positive of ``q``;
    - ``"all_and_non_first"``: every other query's documents plus ``q``'s own documents except its first.

    ``max_num_neg_samples`` keeps at most that many negatives per query, drawn at random (torch's global generator,
    seeded by ``seed_everything``).

    Batch: ``output.scores`` is ``(num_queries, total_docs)`` as laid out in :class:`InBatchLossFunction`; every query
    has the same number ``n`` of documents (``batch.docs``); ``batch.targets`` (``(num_queries * n,)``) are needed
    for ``pos_sampling_technique="all"``. ``TupleDataset(targets="order")`` gives ``[1, 0, ...]`` per query.

    Example:
        >>> import math, torch
        >>> from types import SimpleNamespace
        >>> scores = torch.tensor([[math.log(2.0), 0.0, 0.0, 0.0], [0.0, 0.0, math.log(3.0), 0.0]])
        >>> output = SimpleNamespace(scores=scores)
        >>> batch = SimpleNamespace(docs=[["p", "n"], ["p", "n"]], targets=torch.tensor([1.0, 0.0, 1.0, 0.0]))
        >>> loss = InBatchCrossEntropy(pos_sampling_technique="first", neg_sampling_technique="first")
        >>> round(loss.compute_loss(output, batch).item(), 4)  # (-log(2 / 3) - log(3 / 4)) / 2
        0.3466
    """

    def __init__(
        self,
        pos_sampling_technique: PositiveSamplingTechnique = "all",
        neg_sampling_technique: NegativeSamplingTechnique = "all",
        max_num_neg_samples: int | None = None,
        temperature: float = 1.0,
    ) -> None:
        """Create the loss.

        Args:
            pos_sampling_technique: Which own documents are positives: ``"all"`` (``target > 0``) or ``"first"``.
            neg_sampling_technique: Which columns are negatives: ``"all"``, ``"first"`` or ``"all_and_non_first"``.
            max_num_neg_samples: Keep at most this many randomly drawn negatives per query; None keeps all.
            temperature: Scores are divided by it before the softmax; cosine-similarity models train well with
                about 0.05 (sentence-transformers' MultipleNegativesRankingLoss uses a scale of 20).

        Raises:
            ValueError: If a technique is unknown, ``max_num_neg_samples`` or ``temperature`` is not positive.
        """
        owner = type(self).__name__
        check_option(owner, "pos_sampling_technique", pos_sampling_technique, PositiveSamplingTechnique)
        check_option(owner, "neg_sampling_technique", neg_sampling_technique, NegativeSamplingTechnique)
        if max_num_neg_samples is not None:
            max_num_neg_samples = check_positive(owner, "max_num_neg_samples", max_num_neg_samples)
        self.temperature = check_positive_number(owner, "temperature", temperature)
        self.pos_sampling_technique = pos_sampling_technique
        self.neg_sampling_technique = neg_sampling_technique
        self.max_num_neg_samples = max_num_neg_samples

    def positive_mask(self, scores: torch.Tensor, num_docs: int, batch: TrainBatch) -> torch.Tensor:
        """Return which columns are positives of each query.

        Args:
            scores: Scores, ``(num_queries, total_docs)``.
            num_docs: Documents per query ``n``.
            batch: The training batch (its ``targets`` for ``pos_sampling_technique="all"``).

        Returns:
            Boolean mask, ``(num_queries, total_docs)``.

        Raises:
            ValueError: If targets are needed but missing or of the wrong size.
        """
        num_queries = scores.shape[0]
        if self.pos_sampling_technique == "first":
            own_positives = torch.zeros(num_queries, num_docs, dtype=torch.bool, device=scores.device)
            own_positives[:, 0] = True
        else:
            targets = getattr(batch, "targets", None)
            if targets is None or torch.as_tensor(targets).numel() != num_queries * num_docs:
                raise ValueError(
                    f"InBatchCrossEntropy: pos_sampling_technique='all' needs batch.targets with {num_queries} x "
                    f"{num_docs} values; use pos_sampling_technique='first' for batches without targets"
                )
            own_positives = torch.as_tensor(targets, device=scores.device).reshape(num_queries, num_docs) > 0
        mask = torch.zeros_like(scores, dtype=torch.bool)
        for query in range(num_queries):
            mask[query, query * num_docs : (query + 1) * num_docs] = own_positives[query]
        return mask

    def negative_mask(self, scores: torch.Tensor, num_docs: int, positives: torch.Tensor) -> torch.Tensor:
        """Return which columns are negatives of each query (before subsampling).

        Args:
            scores: Scores, ``(num_queries, total_docs)``.
            num_docs: Documents per query ``n``.
            positives: The positive mask from :meth:`positive_mask`.

        Returns:
            Boolean mask, ``(num_queries, total_docs)``.

        Raises:
            ValueError: If ``"first"`` is asked for while the columns are not whole queries of ``n`` documents.
        """
        num_queries, total_docs = scores.shape
        columns = torch.arange(total_docs, device=scores.device)
        query_of_column = columns // num_docs
        own = query_of_column[None, :] == torch.arange(num_queries, device=scores.device)[:, None]
        is_first = (columns % num_docs == 0)[None, :]
        if self.neg_sampling_technique == "first":
            if total_docs % num_docs:
                raise ValueError(
                    f"InBatchCrossEntropy: neg_sampling_technique='first' needs whole queries of {num_docs} documents "
                    f"in every column block, got {total_docs} columns"
                )
            negatives = is_first & ~own
        elif self.neg_sampling_technique == "all":
            negatives = torch.ones_like(own)
        else:
            negatives = ~(own & is_first)
        return negatives & ~positives

    def sample_negatives(self, negatives: torch.Tensor) -> torch.Tensor:
        """Keep at most ``max_num_neg_samples`` negatives per query, drawn uniformly at random.

        Args:
            negatives: The negative mask, ``(num_queries, total_docs)``.

        Returns:
            The subsampled mask.
        """
        if self.max_num_neg_samples is None or self.max_num_neg_samples >= negatives.shape[1]:
            return negatives
        priorities = torch.rand(negatives.shape, device=negatives.device).masked_fill(~negatives, -1.0)
        kept = priorities.topk(self.max_num_neg_samples, dim=1).indices
        sampled = torch.zeros_like(negatives).scatter(1, kept, True)
        return sampled & negatives

    def compute_loss(self, output: LightningIROutput, batch: TrainBatch) -> torch.Tensor:
        """Compute the cross entropy averaged over all positives of the batch.

        Args:
            output: The model output; ``scores`` is ``(num_queries, total_docs)``.
            batch: The training batch with ``docs`` (and ``targets`` for ``pos_sampling_technique="all"``).

        Returns:
            A scalar tensor. A positive whose query has no negatives contributes 0.

        Raises:
            ValueError: If the batch has no positive at all.
        """
        scores, num_docs = self.process_scores(output, batch)
        scores = scores / self.temperature
        positives = self.positive_mask(scores, num_docs, batch)
        if not bool(positives.any()):
            raise ValueError(
                "InBatchCrossEntropy: no positive documents in the batch (targets > 0 with "
                "pos_sampling_technique='all'); check the dataset's targets or use pos_sampling_technique='first'"
            )
        negatives = self.negative_mask(scores, num_docs, positives)
        negatives = self.sample_negatives(negatives & ~known_positives(scores, num_docs, positives, batch))
        negative_logsumexp = scores.masked_fill(~negatives, float("-inf")).logsumexp(dim=1, keepdim=True)
        # -log(e^p / (e^p + sum e^n)) = log(1 + e^(logsumexp(n) - p)) = softplus(logsumexp(n) - p)
        per_positive = softplus(negative_logsumexp - scores)
        return per_positive[positives].mean()


def known_positives(scores: torch.Tensor, num_docs: int, positives: torch.Tensor, batch: TrainBatch) -> torch.Tensor:
    """Return which of this process's columns hold a document known to be relevant to each query.

    A document is known relevant to query ``q`` when its id is the id of a positive of ``q`` or of another row with
    the same query id, or when ``batch.qrels`` judges it relevant (relevance above 0) to ``q``'s query id. Columns
    from other processes (beyond ``num_queries * num_docs``) carry no ids and are never marked.

    Args:
        scores: Scores, ``(num_queries, total_docs)``.
        num_docs: Documents per query ``n``.
        positives: The positive mask of the own documents, ``(num_queries, total_docs)``.
        batch: The training batch; without ``doc_ids`` nothing is marked, and without ``query_ids`` only each row's
            own positives (the qrels cannot be matched to rows).

    Returns:
        Boolean mask, ``(num_queries, total_docs)``.
    """
    mask = torch.zeros_like(scores, dtype=torch.bool)
    doc_ids = getattr(batch, "doc_ids", None)
    num_queries = scores.shape[0]
    if not doc_ids:
        return mask
    columns = [doc_id for ids in doc_ids for doc_id in ids][: num_queries * num_docs]
    query_ids = getattr(batch, "query_ids", None)
    # without query ids, every row is a query of its own and the qrels cannot be matched to rows
    keys: list[object] = (
        [str(query_id) for query_id in query_ids] if query_ids else [(row,) for row in range(num_queries)]
    )
    relevant: dict[object, set[str]] = {}
    for qrel in (getattr(batch, "qrels", None) or []) if query_ids else []:
        if int(qrel.get("relevance", 0)) > 0:
            relevant.setdefault(str(qrel["query_id"]), set()).add(str(qrel["doc_id"]))
    for query, column in positives[:, : len(columns)].nonzero().tolist():
        relevant.setdefault(keys[query], set()).add(columns[column])
    for query in range(num_queries):
        known = relevant.get(keys[query], set())
        marked = [column for column, doc_id in enumerate(columns) if doc_id in known]
        if marked:
            mask[query, marked] = True
    return mask
