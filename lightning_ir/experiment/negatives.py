"""Choosing the negatives of a training tuple from a query's first-stage ranking (a rank window, exclusions, a seed)."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ..data.local_formats import LocalDocTuple
from ..options import NegativeSampling, SkipReason
from ..validation import check_option, check_positive


@dataclass(frozen=True)
class NegativeSampler:
    """Takes the negatives of each tuple from the ranks ``min_rank`` .. ``max_rank`` of the query's ranking.

    Every judged-relevant document of a query yields one tuple ``(query, positive, negative_1, ...)``. The candidates
    are the documents at ranks ``min_rank`` to ``max_rank`` (1 is the top; both included) of the first stage; the
    tuple's own positive is never among them, nor (``exclude_relevant``) any document judged relevant for the query.
    A query with fewer than ``num_negatives`` candidates yields no tuple.

    Args:
        num_negatives: Negatives per tuple.
        min_rank: Best rank sampled from (``4`` skips the top 3, which are often relevant but unjudged).
        max_rank: Worst rank sampled from.
        exclude_relevant: Leave out every document judged relevant for the query (any label above 0, also those
            below ``min_relevance``): none of them is ever a negative.
        min_relevance: The lowest relevance label that makes a document a positive (at least 1).
        sampling: ``random`` draws the negatives uniformly from the candidates; ``top`` takes the best-ranked ones.
        seed: Seed of ``random``: each query draws from its own generator seeded by ``seed`` and its id, so a query's
            negatives do not depend on the other queries or their order.

    Raises:
        ValueError: A count or ``min_relevance`` is not a positive integer, ``max_rank < min_rank`` or an unknown
            ``sampling``.
    """

    num_negatives: int = 7
    min_rank: int = 4
    max_rank: int = 100
    exclude_relevant: bool = True
    min_relevance: int = 1
    sampling: NegativeSampling = "random"
    seed: int = 0

    def __post_init__(self) -> None:
        owner = "NegativeSampler"
        check_positive(owner, "num_negatives", self.num_negatives)
        check_positive(owner, "min_rank", self.min_rank)
        check_positive(owner, "max_rank", self.max_rank)
        check_positive(owner, "min_relevance", self.min_relevance)
        if self.max_rank < self.min_rank:
            raise ValueError(f"{owner}: max_rank ({self.max_rank}) must not be below min_rank ({self.min_rank})")
        check_option(owner, "sampling", self.sampling, NegativeSampling)

    def positives(self, judged: Mapping[str, int]) -> list[str]:
        """The documents judged relevant (``relevance >= min_relevance``), most relevant first, then by id."""
        relevant = [(doc_id, rel) for doc_id, rel in judged.items() if rel >= self.min_relevance]
        return [doc_id for doc_id, _ in sorted(relevant, key=lambda item: (-item[1], item[0]))]

    def tuples(
        self, query_id: str, ranking: Sequence[str] | None, judged: Mapping[str, int]
    ) -> tuple[list[LocalDocTuple], SkipReason | None]:
        """The tuples of one query: one per positive, or none and the reason.

        Args:
            query_id: The query.
            ranking: The query's documents in first-stage rank order (None when the run has no ranking for it).
            judged: The query's judgements ``{doc_id: relevance}``.

        Returns:
            The tuples (the positive first) and None, or no tuple and why.
        """
        positives = self.positives(judged)
        if not positives:
            return [], "no_positive"
        if ranking is None:
            return [], "no_ranking"
        relevant = {doc_id for doc_id, relevance in judged.items() if relevance > 0}
        excluded: Collection[str] = relevant if self.exclude_relevant else set()
        window = list(ranking[self.min_rank - 1 : self.max_rank])
        rng = random.Random(f"{self.seed}/{query_id}")
        tuples = []
        for positive in positives:
            candidates = [doc_id for doc_id in window if doc_id != positive and doc_id not in excluded]
            if len(candidates) < self.num_negatives:
                return [], "too_few_candidates"
            if self.sampling == "top":
                negatives = candidates[: self.num_negatives]
            else:
                negatives = rng.sample(candidates, self.num_negatives)
            tuples.append(LocalDocTuple(query_id, (positive, *negatives)))
        return tuples, None
