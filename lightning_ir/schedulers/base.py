"""Warmup curves shared by the learning-rate schedulers and the generic value schedulers.

Every schedule is a factor of a base value (a learning rate, a loss weight, ...) as a function of the training step
(the number of optimiser steps taken so far). With ``d = num_delay_steps`` and ``w = num_warmup_steps``:

- delay: ``factor(step) = 0`` for ``step < d``;
- linear warmup: ``factor(step) = (step - d) / w`` for ``d <= step < d + w`` (quadratic warmup squares it);
- after warmup: ``1`` for the constant schedules, or a linear decay from ``1`` at step ``d + w`` to ``final_value`` at
  step ``num_training_steps``, staying at ``final_value`` afterwards.

The classes here only hold the hyperparameters and compute the factor. They are cooperative mixins: their
``__init__`` takes keyword arguments and passes the remaining arguments on, so that
``class LinearLRSchedulerWithLinearWarmup(LinearSchedulerWithLinearWarmup, WarmupLRScheduler)`` gets its curve from
here and its stepping from PyTorch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class WarmupScheduler(ABC):
    """A schedule with an optional delay and a warmup phase; subclasses define the factor after warmup."""

    def __init__(self, *args: Any, num_warmup_steps: int, num_delay_steps: int = 0, **kwargs: Any) -> None:
        """Store and check the delay and warmup lengths.

        Args:
            *args: Passed on to the next class in the method resolution order.
            num_warmup_steps: Steps over which the factor rises from 0 to 1 (after the delay).
            num_delay_steps: Steps at the start during which the factor is 0.
            **kwargs: Passed on to the next class in the method resolution order.

        Raises:
            ValueError: If a step count is negative.
        """
        if num_warmup_steps < 0:
            raise ValueError(f"{type(self).__name__}: num_warmup_steps must be >= 0, got {num_warmup_steps}")
        if num_delay_steps < 0:
            raise ValueError(f"{type(self).__name__}: num_delay_steps must be >= 0, got {num_delay_steps}")
        self.num_warmup_steps = num_warmup_steps
        self.num_delay_steps = num_delay_steps
        super().__init__(*args, **kwargs)

    def warmup_progress(self, current_step: int) -> float | None:
        """Return the fraction of warmup done, or None once warmup is over.

        Args:
            current_step: The number of optimiser steps taken so far.

        Returns:
            0 during the delay, ``(current_step - num_delay_steps) / num_warmup_steps`` during warmup, None after.
        """
        if current_step < self.num_delay_steps:
            return 0.0
        warmup_step = current_step - self.num_delay_steps
        if warmup_step < self.num_warmup_steps:
            return warmup_step / self.num_warmup_steps
        return None

    @abstractmethod
    def value_lambda(self, current_step: int) -> float:
        """Return the factor of the base value at ``current_step``.

        Args:
            current_step: The number of optimiser steps taken so far.

        Returns:
            The factor, between 0 and 1 for the built-in schedules.
        """


class LinearSchedulerWithLinearWarmup(WarmupScheduler):
    """Linear warmup to 1, then linear decay to ``final_value`` at ``num_training_steps``.

    ``num_training_steps`` may be None at construction (Lightning IR modules set it to the trainer's ``max_steps`` when
    fitting starts); it is read when the decay phase is first reached, so it can be assigned at any time before.
    """

    def __init__(
        self,
        *args: Any,
        num_warmup_steps: int,
        num_training_steps: int | None = None,
        final_value: float = 0.0,
        num_delay_steps: int = 0,
        **kwargs: Any,
    ) -> None:
        """Store the decay parameters and pass the rest on.

        Args:
            *args: Passed on to the next class in the method resolution order.
            num_warmup_steps: Steps over which the factor rises from 0 to 1 (after the delay).
            num_training_steps: Step at which the factor reaches ``final_value``; None to set it later.
            final_value: Factor at the end of training.
            num_delay_steps: Steps at the start during which the factor is 0.
            **kwargs: Passed on to the next class in the method resolution order.
        """
        self.num_training_steps = num_training_steps
        self.final_value = final_value
        super().__init__(*args, num_warmup_steps=num_warmup_steps, num_delay_steps=num_delay_steps, **kwargs)

    def value_lambda(self, current_step: int) -> float:
        """Return the factor at ``current_step`` (see the module docstring for the curve).

        Args:
            current_step: The number of optimiser steps taken so far.

        Returns:
            The factor.

        Raises:
            ValueError: If the decay phase is reached while ``num_training_steps`` is still None or not positive.
        """
        progress = self.warmup_progress(current_step)
        if progress is not None:
            return progress
        decay_start = self.num_delay_steps + self.num_warmup_steps
        if current_step == decay_start:
            return 1.0  # known without num_training_steps, so a scheduler can be built before it is set
        if self.num_training_steps is None or self.num_training_steps <= 0:
            raise ValueError(
                f"{type(self).__name__}: num_training_steps is {self.num_training_steps!r}; pass num_training_steps or "
                "train with a LightningIRTrainer(max_steps=...) so the module can set it from max_steps"
            )
        decay_steps = max(1, self.num_training_steps - decay_start)
        decay_progress = min(1.0, (current_step - decay_start) / decay_steps)
        return 1.0 - (1.0 - self.final_value) * decay_progress


class ConstantSchedulerWithLinearWarmup(WarmupScheduler):
    """Linear warmup to 1, then constant 1."""

    def value_lambda(self, current_step: int) -> float:
        """Return the factor at ``current_step`` (see the module docstring for the curve).

        Args:
            current_step: The number of optimiser steps taken so far.

        Returns:
            The factor.
        """
        progress = self.warmup_progress(current_step)
        return 1.0 if progress is None else progress


class ConstantSchedulerWithQuadraticWarmup(WarmupScheduler):
    """Quadratic warmup to 1 (``((step - delay) / warmup) ** 2``), then constant 1."""

    def value_lambda(self, current_step: int) -> float:
        """Return the factor at ``current_step`` (see the module docstring for the curve).

        Args:
            current_step: The number of optimiser steps taken so far.

        Returns:
            The factor.
        """
        progress = self.warmup_progress(current_step)
        return 1.0 if progress is None else progress**2
