"""Checks for option values, shared by configs and models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def check_choice(owner: str, option: str, value: Any, allowed: Iterable[Any]) -> None:
    """Raise a ValueError naming the option and the allowed values when ``value`` is not one of them.

    Args:
        owner: Name of the class or function the option belongs to (used in the message).
        option: Name of the option.
        value: The value given.
        allowed: The values accepted.

    Raises:
        ValueError: If ``value`` is not in ``allowed``.
    """
    allowed = list(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{owner}: {option}={value!r} is not supported; allowed values are {shown}")
