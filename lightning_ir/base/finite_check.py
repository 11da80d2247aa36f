"""One host sync per optimiser step for the training guard: losses and gradients are checked together, on the device.

Checking a loss with ``bool(torch.isfinite(loss))`` right after computing it makes the host wait for the device in
every training step (and once more for the gradient norm). :class:`FiniteCheck` instead keeps each step's losses on
the device and tests them together with the gradient norm in :meth:`FiniteCheck.check`, just before the optimiser
step: one wait per optimiser step, and the weights are still never updated with a non-finite loss or gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch


class FiniteCheck:
    """Collects the training losses of the steps since the last optimiser step and checks them before the next one."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, dict[str, torch.Tensor]]] = []

    def record(self, global_step: int, losses: Mapping[str, torch.Tensor]) -> None:
        """Keeps the (detached) losses of a training step at ``global_step``, without waiting for their values."""
        self.pending.append((global_step, {name: value.detach() for name, value in losses.items()}))

    def check_step(self, module: Any, loss_names: Sequence[str]) -> None:
        """:meth:`check` before ``module``'s optimiser step, with the total norm of its gradients.

        Under fp16 loss scaling (``16-mixed``), which skips steps with non-finite gradients itself, only the losses
        are checked.
        """
        grads = [p.grad for p in module.parameters() if p.grad is not None]
        scaled = str(module.trainer.precision) == "16-mixed"
        norm = torch.nn.utils.get_total_norm(grads) if grads and not scaled else None
        self.check(type(module).__name__, norm, module.global_step, loss_names)

    def check(self, owner: str, grad_norm: torch.Tensor | None, global_step: int, loss_names: Sequence[str]) -> None:
        """Checks the recorded losses and ``grad_norm`` (if any) with one host sync, and forgets the losses.

        Args:
            owner: The module's class name (starts the messages).
            grad_norm: The total norm of the gradients about to be applied (None: not checked).
            global_step: The step about to update the weights.
            loss_names: The names of the losses, for the message about the gradients.

        Raises:
            ValueError: A loss is NaN or infinite (naming the loss, its value and step), else the gradient norm is.
        """
        pending, self.pending = self.pending, []
        flags = [torch.isfinite(value).all() for _, losses in pending for value in losses.values()]
        if grad_norm is not None:
            flags.append(torch.isfinite(grad_norm).all())
        if not flags or bool(torch.stack(flags).all()):
            return
        for step, losses in pending:
            for name, value in losses.items():
                if not bool(torch.isfinite(value).all()):
                    raise ValueError(
                        f"{owner}: loss {name} is {value.cpu().tolist()} at global step {step}; training stopped "
                        "before the weights were updated. Check the inputs/targets of the batch and lower the "
                        "learning rate"
                    )
        norm = None if grad_norm is None else grad_norm.item()
        raise ValueError(
            f"{owner}: the gradients of the losses ({', '.join(loss_names)}) are not finite (norm {norm}) at global "
            f"step {global_step}; training stopped before the weights were updated"
        )
