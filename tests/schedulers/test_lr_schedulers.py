"""Learning-rate schedulers: values per step, lazy num_training_steps, resuming, CLI and Trainer use."""

from __future__ import annotations

import lightning
import pytest
import torch
from lightning.pytorch.cli import LightningArgumentParser, instantiate_class

from lightning_ir.schedulers import (
    LR_SCHEDULERS,
    ConstantLRSchedulerWithLinearWarmup,
    LinearLRSchedulerWithLinearWarmup,
    WarmupLRScheduler,
)


def _optimizer(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr)


def _rates(scheduler: torch.optim.lr_scheduler.LRScheduler, num_steps: int) -> list[float]:
    rates = []
    for _ in range(num_steps):
        rates.append(float(scheduler.get_last_lr()[0]))
        scheduler.optimizer.step()
        scheduler.step()
    return rates


def test_linear_lr_scheduler_curve() -> None:
    scheduler = LinearLRSchedulerWithLinearWarmup(
        _optimizer(0.1), num_warmup_steps=2, num_training_steps=7, final_value=0.5, num_delay_steps=1
    )
    # delay (step 0), warmup (steps 1-2), decay from step 3 to 0.5 * lr at step 7
    expected = [0.0, 0.0, 0.05, 0.1, 0.0875, 0.075, 0.0625, 0.05, 0.05]
    assert _rates(scheduler, 9) == pytest.approx(expected)


def test_constant_lr_scheduler_curve() -> None:
    scheduler = ConstantLRSchedulerWithLinearWarmup(_optimizer(0.2), num_warmup_steps=4, num_delay_steps=2)
    assert _rates(scheduler, 9) == pytest.approx([0.0, 0.0, 0.0, 0.05, 0.1, 0.15, 0.2, 0.2, 0.2])


def test_every_param_group_is_scaled() -> None:
    first, second = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([{"params": [first], "lr": 1.0}, {"params": [second], "lr": 0.1}])
    scheduler = ConstantLRSchedulerWithLinearWarmup(optimizer, num_warmup_steps=2)
    optimizer.step()
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.5, 0.05])


def test_num_training_steps_can_be_set_after_construction() -> None:
    scheduler = LinearLRSchedulerWithLinearWarmup(_optimizer(1.0), num_warmup_steps=2)
    assert scheduler.get_last_lr() == [0.0]  # built without num_training_steps, e.g. in configure_optimizers
    scheduler.num_training_steps = 6  # what the module does with trainer.max_steps at fit start
    assert _rates(scheduler, 7) == pytest.approx([0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0])


def test_missing_num_training_steps_names_the_parameter() -> None:
    scheduler = LinearLRSchedulerWithLinearWarmup(_optimizer(), num_warmup_steps=0)
    scheduler.optimizer.step()
    with pytest.raises(ValueError, match="LinearLRSchedulerWithLinearWarmup: num_training_steps is None"):
        scheduler.step()


def test_state_dict_resumes_the_curve() -> None:
    scheduler = LinearLRSchedulerWithLinearWarmup(_optimizer(1.0), num_warmup_steps=2)
    scheduler.num_training_steps = 6
    _rates(scheduler, 3)
    state = scheduler.state_dict()
    assert state["num_training_steps"] == 6
    optimizer = _optimizer(1.0)
    resumed = LinearLRSchedulerWithLinearWarmup(optimizer, num_warmup_steps=2)
    resumed.load_state_dict(state)
    assert _rates(resumed, 4) == pytest.approx(_rates(scheduler, 4))


def test_lr_schedulers_tuple() -> None:
    assert (LinearLRSchedulerWithLinearWarmup, ConstantLRSchedulerWithLinearWarmup) == LR_SCHEDULERS
    assert all(issubclass(cls, WarmupLRScheduler) for cls in LR_SCHEDULERS)
    assert all(issubclass(cls, torch.optim.lr_scheduler.LRScheduler) for cls in LR_SCHEDULERS)


def test_lightning_cli_builds_scheduler_from_yaml() -> None:
    parser = LightningArgumentParser(exit_on_error=False)
    parser.add_lr_scheduler_args(LR_SCHEDULERS)
    config = parser.parse_object(
        {
            "lr_scheduler": {
                "class_path": "lightning_ir.schedulers.LinearLRSchedulerWithLinearWarmup",
                "init_args": {"num_warmup_steps": 3, "final_value": 0.1},
            }
        }
    )
    scheduler = instantiate_class(_optimizer(), config.lr_scheduler.as_dict())
    assert isinstance(scheduler, LinearLRSchedulerWithLinearWarmup)
    assert (scheduler.num_warmup_steps, scheduler.num_training_steps, scheduler.final_value) == (3, None, 0.1)


class _TinyModule(lightning.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.rates: list[float] = []

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        self.rates.append(self.trainer.optimizers[0].param_groups[0]["lr"])
        return self.layer(batch[0]).pow(2).mean()

    def configure_optimizers(self):  # noqa: ANN201
        optimizer = torch.optim.SGD(self.parameters(), lr=1.0)
        scheduler = LinearLRSchedulerWithLinearWarmup(optimizer, num_warmup_steps=2)
        scheduler.num_training_steps = self.trainer.max_steps
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def test_scheduler_in_a_lightning_fit() -> None:
    data = torch.utils.data.TensorDataset(torch.randn(16, 2))
    module = _TinyModule()
    trainer = lightning.Trainer(
        max_steps=6,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, torch.utils.data.DataLoader(data, batch_size=2))
    assert module.rates == pytest.approx([0.0, 0.5, 1.0, 0.75, 0.5, 0.25])
