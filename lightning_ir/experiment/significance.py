"""Paired significance tests of a system against a baseline over the same queries, and Holm-Bonferroni correction.

The tests are scipy's (``pip install 'lightning-ir[report]'``): the two-sided paired t-test
(:func:`scipy.stats.ttest_rel`) and the two-sided paired randomisation (permutation) test of the mean difference
(:func:`scipy.stats.permutation_test` with ``permutation_type="samples"``, which swaps each query's two values at
random, i.e. flips the sign of its difference; exact when ``2 ** queries <= n_resamples``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from ..validation import check_positive


def paired_t_test(system: Sequence[float], baseline: Sequence[float]) -> float:
    """The two-sided p-value of the paired t-test of ``system`` against ``baseline`` (same queries, same order).

    Where the test is undefined the p-value is 1 (no evidence of a difference) for fewer than two queries or no
    difference at all, and 0 when every query differs by the same non-zero amount (scipy's limit, ``t`` infinite).

    Raises:
        ValueError: The two sequences differ in length.
    """
    _check_paired(system, baseline)
    stats = _import_scipy_stats()
    differences = [a - b for a, b in zip(system, baseline, strict=True)]
    if len(differences) < 2 or all(d == 0 for d in differences):
        return 1.0
    if max(differences) == min(differences):
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # precision loss for nearly constant differences
        p_value = float(stats.ttest_rel(system, baseline).pvalue)
    return 1.0 if math.isnan(p_value) else p_value


def randomisation_test(
    system: Sequence[float], baseline: Sequence[float], n_resamples: int = 10_000, seed: int = 0
) -> float:
    """The two-sided p-value of the paired randomisation test of the mean difference of ``system`` and ``baseline``.

    Args:
        system: Per-query values of the system.
        baseline: Per-query values of the baseline (same queries, same order).
        n_resamples: Random sign flips drawn (all of them when there are at most that many).
        seed: Seed of the random generator, so that a report is reproducible.

    Raises:
        ValueError: The sequences differ in length or ``n_resamples`` is not a positive integer.
    """
    _check_paired(system, baseline)
    n_resamples = check_positive("randomisation_test", "n_resamples", n_resamples)
    if all(a == b for a, b in zip(system, baseline, strict=True)):
        return 1.0
    import numpy as np

    stats = _import_scipy_stats()
    result = stats.permutation_test(
        (np.asarray(system, dtype=float), np.asarray(baseline, dtype=float)),
        _mean_difference,
        permutation_type="samples",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return min(1.0, float(result.pvalue))


def holm_bonferroni(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given.

    With the ``m`` p-values sorted ascending, the ``i``-th (from 1) is adjusted to ``min(1, (m - i + 1) * p_(i))``,
    made non-decreasing along the sorted order (Holm 1979). A hypothesis is rejected at level ``alpha`` when its
    adjusted p-value is below ``alpha``; this controls the family-wise error rate over the ``m`` tests.

    Raises:
        ValueError: A p-value is not in [0, 1].
    """
    for p_value in p_values:
        if not 0.0 <= p_value <= 1.0:
            raise ValueError(f"holm_bonferroni: p-values must lie in [0, 1], got {p_value!r}")
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for position, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - position) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _mean_difference(system: Any, baseline: Any, axis: int) -> Any:
    return (system - baseline).mean(axis=axis)


def _check_paired(system: Sequence[float], baseline: Sequence[float]) -> None:
    if len(system) != len(baseline):
        raise ValueError(f"paired test: {len(system)} system values but {len(baseline)} baseline values")
    if not system:
        raise ValueError("paired test: no values (no query to compare on)")


def _import_scipy_stats() -> Any:
    try:
        from scipy import stats
    except ImportError as error:
        raise ImportError(
            "significance tests need scipy; install it with pip install 'lightning-ir[report]'"
        ) from error
    return stats
