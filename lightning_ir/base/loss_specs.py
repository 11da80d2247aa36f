"""The ``loss_functions`` argument of the modules: normalising ``(loss, weight)`` entries and naming them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def normalise_losses(loss_functions: Sequence[Any] | None) -> list[tuple[Any, float]]:
    """``loss_functions`` entries (a loss or a ``(loss, weight)`` pair) as ``(loss, weight)`` pairs.

    Raises:
        TypeError: If an entry is not a loss function (it has no ``compute_loss`` method).
    """
    normalised = []
    for entry in loss_functions or []:
        if isinstance(entry, tuple | list):
            loss, weight = entry
            normalised.append((loss, float(weight)))
        else:
            normalised.append((entry, 1.0))
    for loss, _ in normalised:
        if not callable(getattr(loss, "compute_loss", None)):
            raise TypeError(f"loss_functions: {loss!r} is not a loss function (it has no compute_loss method)")
    return normalised


def loss_names(loss_functions: Sequence[tuple[Any, float]]) -> list[str]:
    """Class names of the losses, numbered when a class occurs more than once (``RankNet``, ``RankNet_1``)."""
    names: list[str] = []
    for loss, _ in loss_functions:
        name = type(loss).__name__
        names.append(name if name not in names else f"{name}_{len(names)}")
    return names
