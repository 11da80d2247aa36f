"""Exact factors of the shared warmup curves (used by both LR and generic schedulers)."""

from __future__ import annotations

import pytest

from lightning_ir.schedulers import (
    ConstantSchedulerWithLinearWarmup,
    ConstantSchedulerWithQuadraticWarmup,
    LinearSchedulerWithLinearWarmup,
)


def test_linear_schedule_with_delay_warmup_and_final_value() -> None:
    curve = LinearSchedulerWithLinearWarmup(
        num_warmup_steps=4, num_training_steps=12, final_value=0.2, num_delay_steps=2
    )
    expected = {
        0: 0.0,  # delay
        1: 0.0,
        2: 0.0,  # warmup starts at 0
        3: 0.25,
        5: 0.75,
        6: 1.0,  # decay starts at delay + warmup
        9: 1.0 - 0.8 * 3 / 6,
        12: 0.2,  # final value at num_training_steps
        20: 0.2,  # and after
    }
    assert {step: curve.value_lambda(step) for step in expected} == pytest.approx(expected)


def test_linear_schedule_without_warmup() -> None:
    curve = LinearSchedulerWithLinearWarmup(num_warmup_steps=0, num_training_steps=4)
    assert [curve.value_lambda(step) for step in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.0]


def test_linear_schedule_reads_num_training_steps_lazily() -> None:
    curve = LinearSchedulerWithLinearWarmup(num_warmup_steps=2)
    assert [curve.value_lambda(step) for step in range(3)] == [0.0, 0.5, 1.0]  # no num_training_steps needed yet
    with pytest.raises(ValueError, match="num_training_steps is None"):
        curve.value_lambda(3)
    curve.num_training_steps = 4
    assert curve.value_lambda(3) == 0.5


def test_linear_schedule_rejects_unset_max_steps() -> None:
    curve = LinearSchedulerWithLinearWarmup(num_warmup_steps=0, num_training_steps=-1)  # Trainer(max_steps=-1)
    with pytest.raises(ValueError, match="num_training_steps is -1"):
        curve.value_lambda(1)


def test_constant_schedule_with_linear_warmup() -> None:
    curve = ConstantSchedulerWithLinearWarmup(num_warmup_steps=4, num_delay_steps=1)
    assert [curve.value_lambda(step) for step in range(8)] == [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_constant_schedule_with_quadratic_warmup() -> None:
    curve = ConstantSchedulerWithQuadraticWarmup(num_warmup_steps=4)
    assert [curve.value_lambda(step) for step in range(6)] == [0.0, 0.0625, 0.25, 0.5625, 1.0, 1.0]


@pytest.mark.parametrize("argument", ["num_warmup_steps", "num_delay_steps"])
def test_negative_step_counts_are_rejected(argument: str) -> None:
    kwargs = {"num_warmup_steps": 1, argument: -1}
    with pytest.raises(ValueError, match=f"{argument} must be >= 0"):
        ConstantSchedulerWithLinearWarmup(**kwargs)
