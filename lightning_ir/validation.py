"""Checks of option values and positive numbers, shared by configs, models, losses and the retrieval package.

Every check raises a ``ValueError`` that names the owner (the class or function the value was given to), the option,
the value and what is allowed. The module has no dependencies beyond the standard library, so the retrieval package
(which never imports Lightning) uses it as well.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any, Literal, Union, get_args, get_origin

_UNION_TYPES: tuple[Any, ...] = (Union, type(int | None))


@functools.cache
def option_values(allowed: Any) -> tuple[Any, ...]:
    """The values a ``Literal`` type admits, in declaration order.

    Unions are flattened and ``None`` (``NoneType``) stands for the value None, so ``PoolingStrategy | None`` gives
    ``("first", "mean", "max", "sum", None)``.

    Args:
        allowed: A ``Literal`` type, or a union of ``Literal`` types and None.

    Returns:
        The allowed values.

    Raises:
        TypeError: If ``allowed`` contains anything but ``Literal`` types and None.
    """
    if allowed is None or allowed is type(None):
        return (None,)
    origin = get_origin(allowed)
    if origin is Literal:
        return get_args(allowed)
    if origin in _UNION_TYPES:
        return tuple(value for member in get_args(allowed) for value in option_values(member))
    raise TypeError(f"option_values: {allowed!r} is not a Literal type or a union of Literal types and None")


def check_option(owner: str, option: str, value: Any, allowed: Any) -> None:
    """Check that ``value`` is one of the values of the ``Literal`` type ``allowed``.

    Args:
        owner: Name of the class or function the option belongs to (starts the message).
        option: Name of the option.
        value: The value given.
        allowed: The option's ``Literal`` type, e.g. ``PoolingStrategy | None`` (see :func:`option_values`).

    Raises:
        ValueError: Naming the owner, the option, the value and the allowed values.

    Example:
        >>> from lightning_ir.options import SimilarityFunction
        >>> check_option("BiEncoderConfig", "similarity_function", "l2", SimilarityFunction)
        Traceback (most recent call last):
        ...
        ValueError: BiEncoderConfig: similarity_function must be one of the allowed values 'dot', 'cosine'; got 'l2'
    """
    values = option_values(allowed)
    # isinstance first: a value of another type (an array, a list of tokens) is never compared with ==
    if any(isinstance(value, type(candidate)) and value == candidate for candidate in values):
        return
    shown = ", ".join(repr(candidate) for candidate in values)
    raise ValueError(f"{owner}: {option} must be one of the allowed values {shown}; got {value!r}")


def is_positive_int(value: Any) -> bool:
    """Whether ``value`` is an integer (a Python or numpy one, but not a bool) greater than zero."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > 0


def check_positive_int(owner: str, option: str, value: Any) -> int:
    """Check a size of a model config or tokenizer (a sequence length, an embedding dimension).

    Args:
        owner: Name of the class the option belongs to (starts the message).
        option: Name of the option.
        value: The value given.

    Returns:
        The value as a Python int.

    Raises:
        ValueError: Naming the owner, the option and the value.
    """
    if is_positive_int(value):
        return int(value)
    raise ValueError(f"{owner}: {option}={value!r} is not supported; it must be a positive integer")


def check_optional_positive_int(owner: str, option: str, value: Any, none_means: str) -> int | None:
    """Check that ``value`` is a positive integer or None, which stands for ``none_means``.

    Args:
        owner: Name of the class the option belongs to (starts the message).
        option: Name of the option.
        value: The value given.
        none_means: What None stands for (shown in the message).

    Returns:
        None, or the value as a Python int.

    Raises:
        ValueError: Naming the owner, the option, the value and what None means.
    """
    if value is None:
        return None
    if is_positive_int(value):
        return int(value)
    raise ValueError(
        f"{owner}: {option}={value!r} is not supported; it must be a positive integer or None ({none_means})"
    )


def check_positive(owner: str, option: str, value: Any) -> int:
    """Check a count of the retrieval package or a loss (``k``, ``n_probe``, ``max_num_neg_samples``, ...).

    Args:
        owner: Name of the class the option belongs to (starts the message).
        option: Name of the option.
        value: The value given.

    Returns:
        The value as a Python int.

    Raises:
        ValueError: ``"<owner>: <option> must be a positive integer, got <value>"``.
    """
    if is_positive_int(value):
        return int(value)
    raise ValueError(f"{owner}: {option} must be a positive integer, got {value!r}")


def check_positive_number(owner: str, option: str, value: Any) -> float:
    """Check a real hyperparameter that must be greater than zero (a temperature, ...).

    Args:
        owner: Name of the class the option belongs to (starts the message).
        option: Name of the option.
        value: The value given.

    Returns:
        The value as a Python float.

    Raises:
        ValueError: ``"<owner>: <option> must be > 0, got <value>"``.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value) > 0:
        return float(value)
    raise ValueError(f"{owner}: {option} must be > 0, got {value!r}")
