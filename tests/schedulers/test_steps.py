"""The number of training steps read from the trainer, the same for the module and the generic schedulers."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

import lightning
import pytest
import torch

from lightning_ir.schedulers import GenericLinearSchedulerWithLinearWarmup
from lightning_ir.schedulers.steps import trainer_num_steps


def _trainer(**kwargs: Any) -> lightning.Trainer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lightning.Trainer(
            accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False, **kwargs
        )


def _fit_one_epoch(num_batches: int, **kwargs: Any) -> lightning.Trainer:
    class Tiny(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            return self.layer(batch[0]).pow(2).mean()

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    data = torch.utils.data.TensorDataset(torch.randn(2 * num_batches, 2))
    trainer = _trainer(max_epochs=1, enable_model_summary=False, **kwargs)
    trainer.fit(Tiny(), torch.utils.data.DataLoader(data, batch_size=2))
    return trainer


@pytest.mark.parametrize(
    ("trainer_kwargs", "expected"),
    [
        ({"max_steps": 7}, 7),  # max_steps set
        ({"max_epochs": -1, "max_steps": 5}, 5),  # unbounded epochs, bounded steps
        ({"max_epochs": -1}, None),  # unbounded: no number of steps
    ],
)
def test_steps_from_a_lightning_trainer(trainer_kwargs: dict[str, Any], expected: int | None) -> None:
    assert trainer_num_steps(_trainer(**trainer_kwargs)) == expected


def test_steps_from_the_estimate_when_neither_is_set() -> None:
    trainer = _fit_one_epoch(num_batches=3, accumulate_grad_batches=2)
    assert trainer.max_steps == -1
    assert trainer_num_steps(trainer) == 2  # ceil(3 batches / 2 accumulated) x 1 epoch


@pytest.mark.parametrize(
    ("max_steps", "estimate", "expected"),
    [(-1, 12, 12), (-1, float("inf"), None), (-1, -1, None), (None, 4, 4), (3, 100, 3)],
)
def test_module_and_generic_schedulers_agree(max_steps: int | None, estimate: float, expected: int | None) -> None:
    trainer = SimpleNamespace(max_steps=max_steps, estimated_stepping_batches=estimate)
    assert trainer_num_steps(trainer) == expected
    scheduler = GenericLinearSchedulerWithLinearWarmup(keys="temperature", num_warmup_steps=0)
    module = SimpleNamespace(temperature=1.0)
    if expected is None:
        with pytest.raises(ValueError, match="cannot take num_training_steps from the trainer"):
            scheduler.on_train_start(trainer, module)  # type: ignore[arg-type]
    else:
        scheduler.on_train_start(trainer, module)  # type: ignore[arg-type]
        assert scheduler.num_training_steps == expected
