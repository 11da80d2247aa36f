"""Scoring losses: the base class reshapes scores and targets once; subclasses only see (batch, num_docs)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from lightning_ir.loss import ScoringLossFunction
from lightning_ir.loss.tensor_ops import masked_mean, pairwise_differences


class _Recording(ScoringLossFunction):
    """A scoring loss that records what it is given."""

    def __init__(self) -> None:
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        self.seen.append((scores, targets))
        return scores.sum()


def test_subclass_gets_scores_and_targets_as_batch_by_num_docs() -> None:
    loss = _Recording()
    output = SimpleNamespace(scores=torch.arange(6, dtype=torch.float32))
    batch = SimpleNamespace(docs=[["a", "b", "c"], ["d", "e", "f"]], targets=torch.tensor([1, 0, 0, 0, 2, 1]))
    assert loss.compute_loss(output, batch).item() == 15.0  # type: ignore[arg-type]
    ((scores, targets),) = loss.seen
    assert scores.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert targets.tolist() == [[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]]
    assert targets.dtype == scores.dtype


@pytest.mark.parametrize(
    ("docs", "targets", "message"),
    [
        ([["a", "b"], ["c"]], [1, 0, 1], r"_Recording: every query .* same, non-zero number .* \[2, 1\]"),
        ([["a", "b"], ["c", "d"]], None, "_Recording: the batch has no targets"),
        ([["a", "b"], ["c", "d"]], [1, 0, 1], "_Recording: expected 4 targets"),
    ],
)
def test_the_prologue_errors_come_before_the_subclass_runs(docs, targets, message: str) -> None:
    loss = _Recording()
    output = SimpleNamespace(scores=torch.zeros(sum(len(d) for d in docs)))
    batch = SimpleNamespace(docs=docs, targets=None if targets is None else torch.tensor(targets))
    with pytest.raises(ValueError, match=message):
        loss.compute_loss(output, batch)  # type: ignore[arg-type]
    assert loss.seen == []


def test_tensor_helpers() -> None:
    values = torch.tensor([[3.0, 1.0, 2.0]])
    assert pairwise_differences(values)[0].tolist() == [[0.0, 2.0, 1.0], [-2.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]
    assert masked_mean(values, values > 1.5).item() == 2.5
    empty = masked_mean(values.requires_grad_(), torch.zeros_like(values, dtype=torch.bool))
    assert empty.item() == 0.0
    empty.backward()
    assert values.grad is not None
    assert values.grad.abs().sum().item() == 0.0
