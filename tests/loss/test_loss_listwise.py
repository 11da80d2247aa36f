"""Listwise losses against hand-computed values."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from lightning_ir.loss import KLDivergence, LocalizedContrastiveEstimation


def _ns(**fields: Any) -> Any:
    """A stand-in for model outputs and batches: any object with the fields a loss reads."""
    return SimpleNamespace(**fields)


def _softmax(values: list[float]) -> list[float]:
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def _inputs(scores: list[list[float]], targets: list[list[float]]) -> tuple[Any, Any]:
    flat_scores = torch.tensor([s for row in scores for s in row], requires_grad=True)
    docs = [[f"d{i}" for i in range(len(row))] for row in scores]
    return _ns(scores=flat_scores), _ns(docs=docs, targets=torch.tensor(sum(targets, [])))


def test_kl_divergence_matches_hand_computation() -> None:
    scores, teacher = [[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]], [[2.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
    output, batch = _inputs(scores, teacher)
    expected = 0.0
    for s, t in zip(scores, teacher, strict=True):
        p, q = _softmax(t), _softmax(s)
        expected += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
    expected /= 2  # averaged over queries
    loss = KLDivergence().compute_loss(output, batch)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    loss.backward()
    assert torch.isfinite(output.scores.grad).all()


def test_kl_divergence_is_zero_for_matching_distributions() -> None:
    output, batch = _inputs([[1.0, 2.0, 3.0]], [[11.0, 12.0, 13.0]])  # softmax is shift invariant
    assert KLDivergence().compute_loss(output, batch).item() == pytest.approx(0.0, abs=1e-6)


def test_localized_contrastive_estimation_uses_highest_target_as_positive() -> None:
    scores, targets = [[1.0, 2.0, 0.0], [0.0, 0.0, 1.0]], [[0.0, 2.0, 1.0], [1.0, 0.0, 0.0]]
    output, batch = _inputs(scores, targets)
    # query 0: positive is document 1 (target 2); query 1: positive is document 0
    expected = (-math.log(_softmax(scores[0])[1]) - math.log(_softmax(scores[1])[0])) / 2
    loss = LocalizedContrastiveEstimation().compute_loss(output, batch)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert torch.isfinite(output.scores.grad).all()
