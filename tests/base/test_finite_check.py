"""FiniteCheck: losses and the gradient norm are checked together before the optimiser step."""

from __future__ import annotations

import math

import pytest
import torch

from lightning_ir.base.finite_check import FiniteCheck


def test_finite_losses_and_gradients_pass_and_are_forgotten() -> None:
    check = FiniteCheck()
    check.record(3, {"RankNet": torch.tensor(0.5)})
    check.check("Module", torch.tensor(2.0), 3, ["RankNet"])
    assert check.pending == []
    check.check("Module", None, 4, ["RankNet"])  # nothing recorded, nothing to check


def test_a_non_finite_loss_of_any_accumulated_step_is_named() -> None:
    check = FiniteCheck()
    check.record(6, {"RankNet": torch.tensor(0.5), "KL": torch.tensor(math.nan)})
    check.record(6, {"RankNet": torch.tensor(0.4), "KL": torch.tensor(0.1)})
    with pytest.raises(ValueError, match=r"Module: loss KL is nan at global step 6; training stopped before"):
        check.check("Module", torch.tensor(math.nan), 6, ["RankNet", "KL"])
    assert check.pending == []


def test_non_finite_gradients_of_finite_losses_are_reported() -> None:
    check = FiniteCheck()
    check.record(2, {"RankNet": torch.tensor(0.5)})
    with pytest.raises(ValueError, match=r"gradients of the losses \(RankNet\) are not finite \(norm inf\) at global"):
        check.check("Module", torch.tensor(math.inf), 2, ["RankNet"])


def test_recorded_losses_are_detached() -> None:
    weight = torch.tensor(1.0, requires_grad=True)
    check = FiniteCheck()
    check.record(0, {"loss": weight * 2})
    assert not check.pending[0][1]["loss"].requires_grad
