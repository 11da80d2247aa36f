"""Learning-rate schedulers with delay and warmup, usable as a LightningCLI ``lr_scheduler``.

Example YAML::

    lr_scheduler:
      class_path: lightning_ir.LinearLRSchedulerWithLinearWarmup
      init_args:
        num_warmup_steps: 1000

The schedulers expect to be stepped once per optimiser step (Lightning's ``"interval": "step"``).
"""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from .base import ConstantSchedulerWithLinearWarmup, LinearSchedulerWithLinearWarmup, WarmupScheduler


class WarmupLRScheduler(WarmupScheduler, LRScheduler):
    """Base class: the learning rate of every parameter group is its initial rate times ``value_lambda(step)``.

    Subclasses combine a curve from :mod:`lightning_ir.schedulers.base` with this class. The scheduler state (step
    counts, ``num_training_steps``, ...) is plain numbers, saved and restored with Lightning checkpoints.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Pass the curve's keyword arguments and ``(optimizer, last_epoch)`` on to the base classes.

        Args:
            *args: ``optimizer`` and optionally ``last_epoch``, for :class:`torch.optim.lr_scheduler.LRScheduler`.
            **kwargs: The curve's hyperparameters (``num_warmup_steps``, ...).
        """
        super().__init__(*args, **kwargs)

    def get_lr(self) -> list[float | Any]:
        """Return the learning rate of every parameter group at the current step.

        Returns:
            ``base_lr * value_lambda(last_epoch)`` for each parameter group.
        """
        factor = self.value_lambda(self.last_epoch)
        return [base_lr * factor for base_lr in self.base_lrs]


class LinearLRSchedulerWithLinearWarmup(LinearSchedulerWithLinearWarmup, WarmupLRScheduler):
    """Learning rate 0 for ``num_delay_steps``, linear warmup to the base rate, then linear decay.

    The rate at step ``t`` is ``base_lr * factor(t)`` with ``d = num_delay_steps``, ``w = num_warmup_steps`` and
    ``T = num_training_steps``: ``0`` for ``t < d``; ``(t - d) / w`` for ``d <= t < d + w``; then
    ``1 - (1 - final_value) * min(1, (t - d - w) / max(1, T - d - w))``.

    ``num_training_steps=None`` means the trainer's ``max_steps``: a Lightning IR module assigns
    ``scheduler.num_training_steps = trainer.max_steps`` when fitting starts. Any code may assign the attribute; it is
    read lazily, and a ValueError naming it is raised if the decay phase is reached while it is still None.

    Example:
        >>> import torch
        >>> optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> scheduler = LinearLRSchedulerWithLinearWarmup(optimizer, num_warmup_steps=2, num_training_steps=6)
        >>> rates = []
        >>> for _ in range(7):
        ...     rates.append(scheduler.get_last_lr()[0])
        ...     optimizer.step()
        ...     scheduler.step()
        >>> rates
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        num_warmup_steps: int,
        num_training_steps: int | None = None,
        final_value: float = 0.0,
        num_delay_steps: int = 0,
        last_epoch: int = -1,
    ) -> None:
        """Create the scheduler.

        Args:
            optimizer: The optimiser whose learning rates are scheduled.
            num_warmup_steps: Steps of linear warmup (after the delay).
            num_training_steps: Step at which the rate reaches ``final_value * base_lr``; None for the trainer's
                ``max_steps`` (set by the module at fit start).
            final_value: Factor of the base rate at the end of training.
            num_delay_steps: Steps at the start with learning rate 0.
            last_epoch: The index of the last step, for resuming (PyTorch's convention; -1 for a fresh start).
        """
        super().__init__(
            optimizer,
            last_epoch,
            num_warmup_steps=num_warmup_steps,
            num_training_steps=num_training_steps,
            final_value=final_value,
            num_delay_steps=num_delay_steps,
        )


class ConstantLRSchedulerWithLinearWarmup(ConstantSchedulerWithLinearWarmup, WarmupLRScheduler):
    """Learning rate 0 for ``num_delay_steps``, linear warmup to the base rate, then constant.

    The rate at step ``t`` is ``base_lr * factor(t)``: ``0`` for ``t < d``; ``(t - d) / w`` for ``d <= t < d + w``;
    ``1`` afterwards (``d = num_delay_steps``, ``w = num_warmup_steps``).

    Example:
        >>> import torch
        >>> optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> scheduler = ConstantLRSchedulerWithLinearWarmup(optimizer, num_warmup_steps=4)
        >>> scheduler.get_last_lr()
        [0.0]
    """

    def __init__(
        self, optimizer: Optimizer, num_warmup_steps: int, num_delay_steps: int = 0, last_epoch: int = -1
    ) -> None:
        """Create the scheduler.

        Args:
            optimizer: The optimiser whose learning rates are scheduled.
            num_warmup_steps: Steps of linear warmup (after the delay).
            num_delay_steps: Steps at the start with learning rate 0.
            last_epoch: The index of the last step, for resuming (PyTorch's convention; -1 for a fresh start).
        """
        super().__init__(optimizer, last_epoch, num_warmup_steps=num_warmup_steps, num_delay_steps=num_delay_steps)


LR_SCHEDULERS: tuple[type[WarmupLRScheduler], ...] = (
    LinearLRSchedulerWithLinearWarmup,
    ConstantLRSchedulerWithLinearWarmup,
)
"""The Lightning IR learning-rate schedulers (for LightningCLI's ``lr_scheduler`` choices)."""
