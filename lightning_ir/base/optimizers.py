"""Building the optimiser of a module: its trainable parameters, with PyTorch's fused kernels where they apply.

PyTorch's optimisers update one parameter after another unless told otherwise; their fused implementations (Adam,
AdamW, SGD, Adagrad, on CPUs and CUDA GPUs) update all of them in one kernel and are several times faster, which is
what Hugging Face's and sentence-transformers' trainers use by default (``adamw_torch_fused``). A module's optimiser
gets ``fused=True`` unless the caller chose ``fused`` or ``foreach`` or the parameters are elsewhere.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import torch

FUSED_DEVICE_TYPES = ("cpu", "cuda")
"""Device types on which every fused PyTorch optimiser runs."""


def with_fused_default(
    optimizer_cls: type[torch.optim.Optimizer], parameters: Sequence[torch.nn.Parameter], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """``kwargs`` with ``fused=True`` added where the optimiser has a fused implementation for the parameters.

    Args:
        optimizer_cls: The optimiser class (e.g. ``torch.optim.AdamW``).
        parameters: The parameters it will update.
        kwargs: The keyword arguments the caller gave (returned unchanged when they name ``fused`` or ``foreach``).
    """
    if "fused" in kwargs or "foreach" in kwargs or not parameters:
        return kwargs
    try:
        accepts = "fused" in inspect.signature(optimizer_cls).parameters
    except (TypeError, ValueError):
        return kwargs
    on_fused_devices = all(p.device.type in FUSED_DEVICE_TYPES and p.is_floating_point() for p in parameters)
    if not accepts or not on_fused_devices or len({p.device for p in parameters}) != 1:
        return kwargs
    return {**kwargs, "fused": True}


def trainable(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters of ``module`` that train (frozen ones, e.g. beside a LoRA adapter, get no optimiser state)."""
    return [parameter for parameter in module.parameters() if parameter.requires_grad]


OptimizerSpec = tuple[type[torch.optim.Optimizer], dict[str, Any]]
"""An optimiser class and its keyword arguments (besides the parameters)."""
SchedulerSpec = tuple[type[torch.optim.lr_scheduler.LRScheduler], dict[str, Any]]
"""A learning-rate scheduler class and its keyword arguments (besides the optimiser)."""


def build_optimization(
    module: torch.nn.Module, optimizer: OptimizerSpec | None, lr_scheduler: SchedulerSpec | None
) -> Any:
    """What a module's ``configure_optimizers`` returns: the optimiser, and the scheduler stepped after every step.

    Args:
        module: The module whose trainable parameters are optimised.
        optimizer: The optimiser class and its arguments (``fused`` defaults as described in this module).
        lr_scheduler: The scheduler class and its arguments, or ``None``.

    Returns:
        The optimiser alone, or Lightning's ``{"optimizer", "lr_scheduler"}`` dictionary.

    Raises:
        ValueError: ``optimizer`` is ``None``.
    """
    if optimizer is None:
        raise ValueError(
            f"{type(module).__name__}: no optimizer; call module.set_optimizer(AdamW, lr=...) or pass --optimizer "
            "to the CLI"
        )
    optimizer_cls, kwargs = optimizer
    parameters = trainable(module)
    built = optimizer_cls(parameters, **with_fused_default(optimizer_cls, parameters, kwargs))
    if lr_scheduler is None:
        return built
    scheduler_cls, scheduler_kwargs = lr_scheduler
    scheduler = scheduler_cls(built, **scheduler_kwargs)
    return {"optimizer": built, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
