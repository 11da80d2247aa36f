"""Sampling strategies that pick which of a query's ranked documents go into a training or re-ranking sample."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import get_args

import torch

from ..options import SamplingStrategy

SAMPLING_STRATEGIES: tuple[str, ...] = get_args(SamplingStrategy)


def sample_positions(
    num_docs: int, sample_size: int, strategy: SamplingStrategy, relevant: Sequence[bool] | None = None
) -> list[int]:
    """Returns the positions (0-based, into the rank-ordered list) of the documents to keep.

    Strategies (``k = sample_size``; ``k < 0`` or ``k >= num_docs`` keeps every document except for
    ``single_relevant``, which always keeps exactly one relevant document):

    - ``top``: the ``k`` highest-ranked documents.
    - ``random``: ``k`` documents drawn uniformly without replacement, returned in rank order.
    - ``log_random``: ``k`` documents drawn without replacement with probability proportional to
      ``1 / log2(rank + 1)`` (rank 1-based), so higher-ranked documents are likelier; returned in rank order.
    - ``top_and_random``: the ``ceil(k / 2)`` highest-ranked documents, then ``k - ceil(k / 2)`` drawn uniformly
      from the rest, in rank order.
    - ``single_relevant``: one relevant document drawn uniformly among the relevant ones, first, followed by the
      ``k - 1`` highest-ranked non-relevant (or unjudged) documents (all of them when ``k < 0``).

    Randomness comes from torch's global generator (seeded per DataLoader worker and by ``seed_everything``).

    Args:
        num_docs: Number of documents in the ranked list.
        sample_size: ``k``.
        strategy: One of the strategies above.
        relevant: Per position, whether the document is relevant (required by ``single_relevant``).

    Raises:
        ValueError: Unknown strategy, or ``single_relevant`` without a relevant document.
    """
    if strategy == "single_relevant":
        return _single_relevant(num_docs, sample_size, relevant)
    if strategy not in SAMPLING_STRATEGIES:
        raise ValueError(f"unknown sampling strategy {strategy!r}, expected one of {SAMPLING_STRATEGIES}")
    if sample_size < 0 or num_docs <= sample_size:
        return list(range(num_docs))
    if strategy == "top":
        return list(range(sample_size))
    if strategy == "random":
        return sorted(torch.randperm(num_docs)[:sample_size].tolist())
    if strategy == "log_random":
        weights = torch.tensor([1.0 / math.log2(rank + 1) for rank in range(1, num_docs + 1)])
        return sorted(torch.multinomial(weights, sample_size, replacement=False).tolist())
    num_top = (sample_size + 1) // 2
    rest = (torch.randperm(num_docs - num_top)[: sample_size - num_top] + num_top).tolist()
    return list(range(num_top)) + sorted(rest)


def _single_relevant(num_docs: int, sample_size: int, relevant: Sequence[bool] | None) -> list[int]:
    if relevant is None or len(relevant) != num_docs:
        raise ValueError("single_relevant sampling needs a relevance flag per document")
    relevant_positions = [i for i in range(num_docs) if relevant[i]]
    if not relevant_positions:
        raise ValueError("single_relevant sampling needs at least one relevant document")
    chosen = relevant_positions[int(torch.randint(len(relevant_positions), (1,)).item())]
    negatives = [i for i in range(num_docs) if not relevant[i]]
    if sample_size >= 0:
        negatives = negatives[: max(sample_size - 1, 0)]
    return [chosen, *negatives]
