"""Saving and restoring every random number generator's state, so that a resumed run continues exactly."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def collect_rng_states() -> dict[str, Any]:
    """The random number generator states, as tensors and plain values (loadable with ``weights_only=True``)."""
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()  # type: ignore[misc]
    numpy_keys = torch.from_numpy(np.asarray(keys, dtype=np.int64))
    numpy_state = (name, numpy_keys, int(position), int(has_gauss), float(cached_gaussian))
    states: dict[str, Any] = {"torch": torch.get_rng_state(), "numpy": numpy_state, "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restores the random number generator states saved by :func:`collect_rng_states`."""
    torch.set_rng_state(states["torch"])
    name, keys, position, has_gauss, cached_gaussian = states["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached_gaussian))
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
