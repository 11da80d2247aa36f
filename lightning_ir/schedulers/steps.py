"""The number of optimiser steps a fit takes, read from the trainer (for schedules left without one)."""

from __future__ import annotations

import math
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
