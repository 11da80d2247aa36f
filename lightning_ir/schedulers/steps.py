"""The number of optimiser steps a fit takes, read from the trainer (for schedules left without one)."""

from __future__ import annotations

import math
import warnings
from typing import Any


def trainer_num_steps(trainer: Any) -> int | None:
    """The number of optimiser steps the trainer's fit will take, or None when it is unknown.

    That is ``trainer.max_steps`` when it is set (> 0, also with ``max_epochs=-1``), else Lightning's estimate
    ``trainer.estimated_stepping_batches`` (the batches per epoch over the gradient accumulation, times
    ``max_epochs``). The estimate is unknown (None) when training is unbounded (``max_epochs=-1`` without
    ``max_steps``: the estimate is infinite) or the length of the training data is unknown (an iterable dataset
    without ``max_steps``: the estimate is -1).

    Args:
        trainer: A Lightning trainer, with its training data attached (as from ``on_train_start`` on).

    Returns:
        A positive number of steps, or None.
    """
    max_steps = getattr(trainer, "max_steps", None)
    if max_steps is not None and max_steps > 0:
        return int(max_steps)
    estimate = trainer.estimated_stepping_batches
    if estimate is None or not math.isfinite(estimate) or estimate <= 0:
        return None
    return int(estimate)


def complete_num_training_steps(trainer: Any, owner: str) -> None:
    """Gives the trainer's learning-rate schedulers created with ``num_training_steps=None`` the fit's number of steps.

    The number is :func:`trainer_num_steps`; when it is unknown, the schedulers keep None and a warning says so.

    Args:
        trainer: A Lightning trainer whose ``lr_scheduler_configs`` are set up (as from ``on_train_start`` on).
        owner: Who asks (the module's class name), for the warning.
    """
    pending = [
        config.scheduler
        for config in trainer.lr_scheduler_configs
        if hasattr(config.scheduler, "num_training_steps") and config.scheduler.num_training_steps is None
    ]
    if not pending:
        return
    num_steps = trainer_num_steps(trainer)
    if num_steps is None:
        warnings.warn(
            f"{owner}: cannot set num_training_steps of {type(pending[0]).__name__} (the trainer has no max_steps and "
            "an unknown number of batches per epoch); pass LightningIRTrainer(max_steps=...)",
            stacklevel=3,
        )
        return
    for scheduler in pending:
        scheduler.num_training_steps = num_steps
