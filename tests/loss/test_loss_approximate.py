"""Approximate-rank losses against an independent pure-Python computation."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from lightning_ir.loss import ApproxMRR, ApproxNDCG, ApproxRankMSE


def _ns(**fields: Any) -> Any:
    """A stand-in for model outputs and batches: any object with the fields a loss reads."""
    return SimpleNamespace(**fields)


SCORES = [[2.0, 0.5, 1.0], [0.0, 1.0, -1.0]]
TARGETS = [[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]


def _inputs(scores: list[list[float]], targets: list[list[float]]) -> tuple[Any, Any]:
    flat_scores = torch.tensor([s for row in scores for s in row], requires_grad=True, dtype=torch.float64)
    docs = [[f"d{i}" for i in range(len(row))] for row in scores]
    return _ns(scores=flat_scores), _ns(docs=docs, targets=torch.tensor(sum(targets, [])))


def _approx_ranks(scores: list[float], temperature: float) -> list[float]:
    return [
        1 + sum(1 / (1 + math.exp(-(scores[j] - scores[i]) / temperature)) for j in range(len(scores)) if j != i)
        for i in range(len(scores))
    ]


@pytest.mark.parametrize("temperature", [1.0, 0.5])
@pytest.mark.parametrize("scale_gains", [True, False])
def test_approx_ndcg_matches_python(temperature: float, scale_gains: bool) -> None:
    output, batch = _inputs(SCORES, TARGETS)
    losses = []
    for s, t in zip(SCORES, TARGETS, strict=True):
        gains = [2**x - 1 if scale_gains else x for x in t]
        ranks = _approx_ranks(s, temperature)
        dcg = sum(g / math.log2(1 + r) for g, r in zip(gains, ranks, strict=True))
        idcg = sum(g / math.log2(2 + k) for k, g in enumerate(sorted(gains, reverse=True)))
        losses.append(1 - dcg / idcg)
    loss = ApproxNDCG(temperature=temperature, scale_gains=scale_gains).compute_loss(output, batch)
    assert loss.item() == pytest.approx(sum(losses) / 2, rel=1e-9)
    loss.backward()
    assert torch.isfinite(output.scores.grad).all()


def test_approx_ndcg_skips_queries_without_relevant_documents() -> None:
    output, batch = _inputs([[2.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]])
    ranks = _approx_ranks([2.0, 0.0], 1.0)
    expected = 1 - (1 / math.log2(1 + ranks[0])) / 1.0  # only query 0 counts
    assert ApproxNDCG().compute_loss(output, batch).item() == pytest.approx(expected, rel=1e-9)


def test_approx_mrr_matches_python() -> None:
    output, batch = _inputs(SCORES, TARGETS)
    losses = []
    for s, t in zip(SCORES, TARGETS, strict=True):
        ranks = _approx_ranks(s, 0.5)
        losses.append(1 - max(1 / r for r, x in zip(ranks, t, strict=True) if x > 0))
    loss = ApproxMRR(temperature=0.5).compute_loss(output, batch)
    assert loss.item() == pytest.approx(sum(losses) / 2, rel=1e-9)
    loss.backward()
    assert torch.isfinite(output.scores.grad).all()


def test_low_temperature_approaches_true_metric() -> None:
    output, batch = _inputs([[3.0, 2.0, 1.0]], [[1.0, 0.0, 0.0]])  # relevant document ranked first
    assert ApproxMRR(temperature=0.01).compute_loss(output, batch).item() == pytest.approx(0.0, abs=1e-6)
    assert ApproxNDCG(temperature=0.01).compute_loss(output, batch).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("discount", [None, "log2", "reciprocal"])
def test_approx_rank_mse_matches_python(discount: str | None) -> None:
    output, batch = _inputs(SCORES, TARGETS)
    true_ranks = [[2, 3, 1], [2, 1, 3]]  # by descending target; ties (query 1) keep document order
    errors = []
    for s, ranks in zip(SCORES, true_ranks, strict=True):
        for approx, rank in zip(_approx_ranks(s, 1.0), ranks, strict=True):
            weight = {None: 1.0, "log2": 1 / math.log2(1 + rank), "reciprocal": 1 / rank}[discount]
            errors.append(weight * (approx - rank) ** 2)
    loss = ApproxRankMSE(discount=discount).compute_loss(output, batch)  # type: ignore[arg-type]
    assert loss.item() == pytest.approx(sum(errors) / len(errors), rel=1e-9)
    loss.backward()
    assert torch.isfinite(output.scores.grad).all()


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="temperature must be > 0"):
        ApproxNDCG(temperature=0)
    with pytest.raises(ValueError, match="discount must be"):
        ApproxRankMSE(discount="linear")  # type: ignore[arg-type]
