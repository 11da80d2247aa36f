"""The shared checks: option values from Literal types, positive integers and numbers."""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import pytest

from lightning_ir.options import PoolingStrategy
from lightning_ir.validation import (
    check_option,
    check_optional_positive_int,
    check_positive,
    check_positive_int,
    check_positive_number,
    option_values,
)


def test_option_values_flatten_unions_and_keep_none() -> None:
    assert option_values(PoolingStrategy) == ("first", "mean", "max", "sum")
    assert option_values(PoolingStrategy | None) == ("first", "mean", "max", "sum", None)
    assert option_values(Literal["a"] | Literal["b", "c"]) == ("a", "b", "c")
    with pytest.raises(TypeError, match="not a Literal type"):
        option_values(str)


def test_check_option_names_owner_option_value_and_allowed_values() -> None:
    check_option("Owner", "pooling", None, PoolingStrategy | None)
    check_option("Owner", "pooling", "max", PoolingStrategy)
    with pytest.raises(ValueError, match="must be one of the allowed values") as error:
        check_option("Owner", "pooling", "median", PoolingStrategy | None)
    assert str(error.value) == (
        "Owner: pooling must be one of the allowed values 'first', 'mean', 'max', 'sum', None; got 'median'"
    )
    with pytest.raises(ValueError, match="Owner: pooling must be one of the allowed values 'first'"):
        check_option("Owner", "pooling", None, PoolingStrategy)  # None only where the type allows it
    with pytest.raises(ValueError, match=r"got \['mean'\]"):
        check_option("Owner", "pooling", ["mean"], PoolingStrategy)


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.int32(5)])
def test_positive_integers_are_accepted_as_python_ints(value) -> None:
    for check in (check_positive_int, check_positive):
        checked = check("Owner", "size", value)
        assert checked == value
        assert type(checked) is int
    assert type(check_optional_positive_int("Owner", "size", value, "no limit")) is int


@pytest.mark.parametrize("value", [0, -2, 2.5, 3.0, "4", True, None, np.float64(2.0)])
def test_non_positive_or_non_integer_sizes_are_refused(value) -> None:
    shown = re.escape(repr(value))
    with pytest.raises(ValueError, match=rf"^Owner: size={shown} is not supported; it must be a positive integer$"):
        check_positive_int("Owner", "size", value)
    with pytest.raises(ValueError, match=rf"^Owner: k must be a positive integer, got {shown}$"):
        check_positive("Owner", "k", value)
    if value is not None:
        with pytest.raises(ValueError, match=r"it must be a positive integer or None \(no limit\)$"):
            check_optional_positive_int("Owner", "size", value, "no limit")
    assert check_optional_positive_int("Owner", "size", None, "no limit") is None


def test_positive_numbers() -> None:
    assert check_positive_number("Owner", "temperature", 0.05) == 0.05
    assert check_positive_number("Owner", "temperature", 2) == 2.0
    for value in (0, -1.0, float("nan"), "1", True):
        with pytest.raises(ValueError, match=rf"^Owner: temperature must be > 0, got {re.escape(repr(value))}$"):
            check_positive_number("Owner", "temperature", value)
