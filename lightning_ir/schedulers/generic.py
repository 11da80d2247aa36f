"""Callbacks that schedule any attribute of a LightningModule, addressed by a dotted key.

A key such as ``"loss_functions.1.query_weight"`` is resolved from the module step by step: an integer part indexes a
list, tuple or ``ModuleList``; any other part is an attribute (``getattr``). As a convenience for modules that keep
``loss_functions`` entries as ``(loss, weight)`` pairs, an attribute name met on a tuple is looked up on the tuple's
first element (the loss), so ``"loss_functions.1.query_weight"`` works for both layouts. The last part must be
settable: an attribute, or an index into a mutable sequence.

Example, warming up a FLOPS regularisation weight over the first 1,000 steps (YAML)::

    trainer:
      callbacks:
        - class_path: lightning_ir.GenericConstantSchedulerWithQuadraticWarmup
          init_args:
            keys: [loss_functions.1.query_weight, loss_functions.1.doc_weight]
            num_warmup_steps: 1000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lightning import Callback, LightningModule, Trainer

from .base import (
    ConstantSchedulerWithLinearWarmup,
    ConstantSchedulerWithQuadraticWarmup,
    LinearSchedulerWithLinearWarmup,
    WarmupScheduler,
)
from .steps import trainer_num_steps


def _is_index(part: str) -> bool:
    return part.lstrip("-").isdigit()


def _step_into(obj: Any, part: str, key: str) -> Any:
    """Return ``obj[int(part)]`` or ``getattr(obj, part)``; see the module docstring."""
    if _is_index(part):
        try:
            return obj[int(part)]
        except (TypeError, IndexError, KeyError) as error:
            raise ValueError(f"key {key!r}: cannot index {type(obj).__name__} with {part}") from error
    if isinstance(obj, tuple) and obj and not hasattr(obj, part):
        obj = obj[0]
    if not hasattr(obj, part):
        raise ValueError(f"key {key!r}: {type(obj).__name__} has no attribute {part!r}")
    return getattr(obj, part)


def get_value_by_key(root: Any, key: str) -> Any:
    """Return the value that a dotted key addresses, starting from ``root``.

    Args:
        root: The object to start from (usually a LightningModule).
        key: Dotted key, e.g. ``"loss_functions.1.query_weight"``.

    Returns:
        The value.

    Raises:
        ValueError: Naming the key, if a part cannot be resolved.
    """
    obj = root
    for part in key.split("."):
        obj = _step_into(obj, part, key)
    return obj


def set_value_by_key(root: Any, key: str, value: Any) -> None:
    """Set the value that a dotted key addresses, starting from ``root``.

    Args:
        root: The object to start from (usually a LightningModule).
        key: Dotted key, e.g. ``"loss_functions.1.query_weight"``.
        value: The new value.

    Raises:
        ValueError: Naming the key, if a part cannot be resolved or the last one cannot be set.
    """
    *parents, last = key.split(".")
    obj = root
    for part in parents:
        obj = _step_into(obj, part, key)
    if _is_index(last):
        try:
            obj[int(last)] = value
        except (TypeError, IndexError) as error:
            raise ValueError(f"key {key!r}: cannot set item {last} of {type(obj).__name__}") from error
        return
    _step_into(obj, last, key)  # raises if the attribute does not exist, so typos are not silently created
    if isinstance(obj, tuple) and obj and not hasattr(obj, last):
        obj = obj[0]
    setattr(obj, last, value)


class GenericScheduler(WarmupScheduler, Callback):
    """Base callback: sets each key to ``initial_value * value_lambda(trainer.global_step)`` before every batch.

    The initial values are read from the module when training starts and saved in the callback's checkpoint state,
    so a resumed run continues from the same base values.
    """

    def __init__(self, *args: Any, keys: Sequence[str] | str, **kwargs: Any) -> None:
        """Store the keys and pass the curve's arguments on.

        Args:
            *args: Passed on to the next class in the method resolution order.
            keys: Dotted keys of the module attributes to schedule (a single string is one key).
            **kwargs: The curve's hyperparameters (``num_warmup_steps``, ...).

        Raises:
            ValueError: If no key is given.
        """
        self.keys = [keys] if isinstance(keys, str) else list(keys)
        if not self.keys:
            raise ValueError(f"{type(self).__name__}: keys must name at least one module attribute")
        self.initial_values: dict[str, Any] = {}
        self._restored = False
        super().__init__(*args, **kwargs)

    @property
    def state_key(self) -> str:
        """Key of this callback's checkpoint state; includes the keys so several schedulers can coexist."""
        return self._generate_state_key(keys=tuple(self.keys))

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Record the initial value of every key (kept from the checkpoint when resuming).

        Args:
            trainer: The trainer.
            pl_module: The module whose attributes are scheduled.
        """
        if not self._restored:
            self.initial_values = {}
        self._restored = False
        for key in self.keys:
            if key not in self.initial_values:
                self.initial_values[key] = get_value_by_key(pl_module, key)

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int) -> None:
        """Set every key to its initial value times the factor at the current global step.

        Args:
            trainer: The trainer.
            pl_module: The module whose attributes are scheduled.
            batch: The training batch (unused).
            batch_idx: The batch index (unused).
        """
        factor = self.value_lambda(trainer.global_step)
        for key in self.keys:
            set_value_by_key(pl_module, key, self.initial_values[key] * factor)

    def state_dict(self) -> dict[str, Any]:
        """Return the initial values, to be restored on resume.

        Returns:
            The callback state.
        """
        return {"initial_values": dict(self.initial_values)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the initial values saved in a checkpoint.

        Args:
            state_dict: The state returned by :meth:`state_dict`.
        """
        self.initial_values = dict(state_dict["initial_values"])
        self._restored = True


class GenericLinearSchedulerWithLinearWarmup(LinearSchedulerWithLinearWarmup, GenericScheduler):
    """Schedule module attributes: 0 during the delay, linear warmup, then linear decay to ``final_value``.

    The value at global step ``t`` is ``initial * factor(t)`` with the curve of
    :class:`~lightning_ir.schedulers.lr_scheduler.LinearLRSchedulerWithLinearWarmup`. With ``num_training_steps=None``
    the trainer's ``max_steps`` is used (or its estimated number of steps when ``max_steps`` is not set).

    Example:
        >>> scheduler = GenericLinearSchedulerWithLinearWarmup(
        ...     keys=["loss_functions.1.doc_weight"], num_warmup_steps=2, num_training_steps=6
        ... )
        >>> [scheduler.value_lambda(step) for step in range(7)]
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
    """

    def __init__(
        self,
        keys: Sequence[str] | str,
        num_warmup_steps: int,
        num_training_steps: int | None = None,
        final_value: float = 0.0,
        num_delay_steps: int = 0,
    ) -> None:
        """Create the callback.

        Args:
            keys: Dotted keys of the module attributes to schedule, e.g. ``["loss_functions.1.query_weight"]``.
            num_warmup_steps: Steps of linear warmup (after the delay).
            num_training_steps: Step at which the value reaches ``final_value * initial``; None for the trainer's.
            final_value: Factor of the initial value at the end of training.
            num_delay_steps: Steps at the start during which the value is 0.
        """
        super().__init__(
            keys=keys,
            num_warmup_steps=num_warmup_steps,
            num_training_steps=num_training_steps,
            final_value=final_value,
            num_delay_steps=num_delay_steps,
        )

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Take ``num_training_steps`` from the trainer if it was not given, then record the initial values.

        Args:
            trainer: The trainer.
            pl_module: The module whose attributes are scheduled.

        Raises:
            ValueError: If ``num_training_steps`` was not given and the trainer's number of steps is unknown (see
                :func:`~lightning_ir.schedulers.steps.trainer_num_steps`).
        """
        if self.num_training_steps is None:
            self.num_training_steps = trainer_num_steps(trainer)
        if self.num_training_steps is None:
            raise ValueError(
                f"{type(self).__name__}: cannot take num_training_steps from the trainer (it has no max_steps and "
                "an unknown or unbounded number of steps, e.g. max_epochs=-1); pass num_training_steps=... or "
                "LightningIRTrainer(max_steps=...)"
            )
        super().on_train_start(trainer, pl_module)


class GenericConstantSchedulerWithLinearWarmup(ConstantSchedulerWithLinearWarmup, GenericScheduler):
    """Schedule module attributes: 0 during the delay, linear warmup to the initial value, then constant.

    Example:
        >>> scheduler = GenericConstantSchedulerWithLinearWarmup(keys="temperature", num_warmup_steps=4)
        >>> [scheduler.value_lambda(step) for step in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, keys: Sequence[str] | str, num_warmup_steps: int, num_delay_steps: int = 0) -> None:
        """Create the callback.

        Args:
            keys: Dotted keys of the module attributes to schedule, e.g. ``["loss_functions.1.query_weight"]``.
            num_warmup_steps: Steps of linear warmup (after the delay).
            num_delay_steps: Steps at the start during which the value is 0.
        """
        super().__init__(keys=keys, num_warmup_steps=num_warmup_steps, num_delay_steps=num_delay_steps)


class GenericConstantSchedulerWithQuadraticWarmup(ConstantSchedulerWithQuadraticWarmup, GenericScheduler):
    """Schedule module attributes: 0 during the delay, quadratic warmup to the initial value, then constant.

    The quadratic warmup (``((t - delay) / warmup) ** 2``) is the usual ramp for SPLADE's FLOPS weights.

    Example:
        >>> scheduler = GenericConstantSchedulerWithQuadraticWarmup(keys="temperature", num_warmup_steps=4)
        >>> [scheduler.value_lambda(step) for step in range(6)]
        [0.0, 0.0625, 0.25, 0.5625, 1.0, 1.0]
    """

    def __init__(self, keys: Sequence[str] | str, num_warmup_steps: int, num_delay_steps: int = 0) -> None:
        """Create the callback.

        Args:
            keys: Dotted keys of the module attributes to schedule, e.g. ``["loss_functions.1.query_weight"]``.
            num_warmup_steps: Steps of quadratic warmup (after the delay).
            num_delay_steps: Steps at the start during which the value is 0.
        """
        super().__init__(keys=keys, num_warmup_steps=num_warmup_steps, num_delay_steps=num_delay_steps)
