"""Learning-rate schedulers and generic value schedulers with delay and warmup."""

from __future__ import annotations

from .base import (
    ConstantSchedulerWithLinearWarmup,
    ConstantSchedulerWithQuadraticWarmup,
    LinearSchedulerWithLinearWarmup,
    WarmupScheduler,
)
from .generic import (
    GenericConstantSchedulerWithLinearWarmup,
    GenericConstantSchedulerWithQuadraticWarmup,
    GenericLinearSchedulerWithLinearWarmup,
    GenericScheduler,
)
from .lr_scheduler import (
    LR_SCHEDULERS,
    ConstantLRSchedulerWithLinearWarmup,
    LinearLRSchedulerWithLinearWarmup,
    WarmupLRScheduler,
)

__all__ = [
    "LR_SCHEDULERS",
    "ConstantLRSchedulerWithLinearWarmup",
    "ConstantSchedulerWithLinearWarmup",
    "ConstantSchedulerWithQuadraticWarmup",
    "GenericConstantSchedulerWithLinearWarmup",
    "GenericConstantSchedulerWithQuadraticWarmup",
    "GenericLinearSchedulerWithLinearWarmup",
    "GenericScheduler",
    "LinearLRSchedulerWithLinearWarmup",
    "LinearSchedulerWithLinearWarmup",
    "WarmupLRScheduler",
    "WarmupScheduler",
]
