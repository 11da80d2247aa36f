"""Tensor helpers shared by the losses: pairwise differences and a masked mean that never divides by zero."""

from __future__ import annotations

import torch


def pairwise_differences(values: torch.Tensor) -> torch.Tensor:
    """Return ``values[b, i] - values[b, j]`` for every pair of documents.

    Args:
        values: Scores or targets, ``(batch, num_docs)``.

    Returns:
        Differences, ``(batch, num_docs, num_docs)``.
    """
    return values[:, :, None] - values[:, None, :]


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average ``values`` where ``mask`` is True; zero (still differentiable) if the mask is empty.

    Args:
        values: Any tensor.
        mask: Boolean tensor of the same shape.

    Returns:
        A scalar tensor.
    """
    if not bool(mask.any()):
        return (values * 0).sum()
    return values[mask].mean()
