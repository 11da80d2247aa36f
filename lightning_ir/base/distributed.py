"""Gathering Python objects across the processes of a distributed run (a no-op in a single process)."""

from __future__ import annotations

from typing import Any

import torch


def gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj`` in rank order (``[obj]`` when not distributed); every process must call it."""
    distributed = torch.distributed
    if not (distributed.is_available() and distributed.is_initialized()) or distributed.get_world_size() == 1:
        return [obj]
    gathered: list[Any] = [None] * distributed.get_world_size()
    distributed.all_gather_object(gathered, obj)
    return gathered
