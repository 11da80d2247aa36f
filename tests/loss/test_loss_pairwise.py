"""Pairwise losses against hand-computed values."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from lightning_ir.loss import ConstantMarginMSE, RankNet, SupervisedMarginMSE


def _ns(**fields: Any) -> Any:
    """A stand-in for model outputs and batches: any object with the fields a loss reads."""
    return SimpleNamespace(**fields)


def _inputs(scores: list[list[float]], targets: list[list[float]]) -> tuple[Any, Any]:
    flat_scores = torch.tensor([s for row in scores for s in row], requires_grad=True)
    docs = [[f"d{i}" for i in range(len(row))] for row in scores]
    batch = _ns(queries=["q"] * len(scores), docs=docs, targets=torch.tensor(sum(targets, [])))
    return _ns(scores=flat_scores), batch


SCORES = [[3.0, 1.0, 2.0], [0.0, 1.0, 0.5]]
TARGETS = [[1.0, 0.0, 0.0], [2.0, 1.0, 0.0]]
# pairs (i, j) with target_i > target_j: query 0: (0, 1), (0, 2); query 1: (0, 1), (0, 2), (1, 2)
PREFERRED_DIFFERENCES = [3.0 - 1.0, 3.0 - 2.0, 0.0 - 1.0, 0.0 - 0.5, 1.0 - 0.5]


def test_ranknet_matches_hand_computation() -> None:
    output, batch = _inputs(SCORES, TARGETS)
    expected = sum(math.log(1 + math.exp(-d)) for d in PREFERRED_DIFFERENCES) / 5
    loss = RankNet().compute_loss(output, batch)
    assert loss.shape == ()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert torch.isfinite(output.scores.grad).all()


def test_ranknet_prefers_correct_order() -> None:
    good, batch = _inputs([[2.0, 0.0]], [[1.0, 0.0]])
    bad, _ = _inputs([[0.0, 2.0]], [[1.0, 0.0]])
    assert RankNet().compute_loss(good, batch) < RankNet().compute_loss(bad, batch)


def test_constant_margin_mse_matches_hand_computation() -> None:
    output, batch = _inputs(SCORES, TARGETS)
    expected = sum((d - 0.5) ** 2 for d in PREFERRED_DIFFERENCES) / 5
    loss = ConstantMarginMSE(margin=0.5).compute_loss(output, batch)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_supervised_margin_mse_uses_every_pair() -> None:
    scores, teacher = [[3.0, 1.0, 2.0]], [[5.0, 1.0, 4.0]]
    output, batch = _inputs(scores, teacher)
    s, t = scores[0], teacher[0]
    pairs = [(0, 1), (0, 2), (1, 2)]
    expected = sum(((s[i] - s[j]) - (t[i] - t[j])) ** 2 for i, j in pairs) / 3  # (2-4)^2, (1-1)^2, (-1+3)^2
    assert expected == pytest.approx(8 / 3)
    assert SupervisedMarginMSE().compute_loss(output, batch).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("loss_function", [RankNet(), ConstantMarginMSE()])
def test_no_preferred_pair_gives_zero_with_finite_gradient(loss_function) -> None:
    output, batch = _inputs([[1.0, 2.0]], [[1.0, 1.0]])
    loss = loss_function.compute_loss(output, batch)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(output.scores.grad, torch.zeros(2))


def test_uneven_documents_per_query_is_rejected() -> None:
    output = _ns(scores=torch.zeros(3))
    batch = _ns(docs=[["a", "b"], ["c"]], targets=torch.zeros(3))
    with pytest.raises(ValueError, match=r"RankNet: every query .* same.*\[2, 1\]"):
        RankNet().compute_loss(output, batch)


def test_score_count_mismatch_is_rejected() -> None:
    output = _ns(scores=torch.zeros(5))
    batch = _ns(docs=[["a", "b"], ["c", "d"]], targets=torch.zeros(4))
    with pytest.raises(ValueError, match="expected 4 scores"):
        RankNet().compute_loss(output, batch)


def test_missing_targets_are_rejected() -> None:
    output = _ns(scores=torch.zeros(2))
    batch = _ns(docs=[["a", "b"]], targets=None)
    with pytest.raises(ValueError, match="SupervisedMarginMSE: the batch has no targets"):
        SupervisedMarginMSE().compute_loss(output, batch)
