"""A running top-k over score blocks, so that only ``(queries, k)`` results are kept while documents stream by."""

from __future__ import annotations

import torch


class RunningTopK:
    """Keeps the ``k`` best (score, document index) pairs per query over successive blocks of documents.

    Args:
        num_queries: Number of queries (rows of every block).
        k: Number of results to keep per query.
        device: Where the running results live.
    """

    def __init__(self, num_queries: int, k: int, device: torch.device | str = "cpu") -> None:
        self.k = k
        self.scores = torch.empty(num_queries, 0, device=device)
        self.indices = torch.empty(num_queries, 0, dtype=torch.int64, device=device)

    def update(self, scores: torch.Tensor, offset: int | torch.Tensor = 0) -> None:
        """Merges a block of scores into the running top-k.

        Args:
            scores: ``(queries, block)`` scores of a block of documents.
            offset: Index of the block's first document (an int), or ``(block,)`` document indices.
        """
        block_k = min(self.k, scores.shape[1])
        if block_k == 0:
            return
        block_scores, block_indices = scores.topk(block_k, dim=1)
        if isinstance(offset, torch.Tensor):
            block_indices = offset.to(block_indices.device)[block_indices]
        else:
            block_indices = block_indices + offset
        merged_scores = torch.cat([self.scores, block_scores.to(self.scores.device)], dim=1)
        merged_indices = torch.cat([self.indices, block_indices.to(self.indices.device)], dim=1)
        keep = min(self.k, merged_scores.shape[1])
        self.scores, positions = merged_scores.topk(keep, dim=1)
        self.indices = merged_indices.gather(1, positions)

    def result(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns ``(scores, indices)``, each ``(queries, min(k, documents seen))``, sorted by descending score."""
        return self.scores, self.indices
