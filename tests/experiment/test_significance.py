"""Paired t-test and randomisation test on synthetic per-query values; Holm-Bonferroni against hand computation."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from lightning_ir.experiment import holm_bonferroni, paired_t_test, randomisation_test


def synthetic(num_queries: int = 50, effect: float = 0.2, seed: int = 1) -> tuple[list[float], list[float]]:
    """A baseline and a system that is ``effect`` better on average, with per-query noise."""
    rng = random.Random(seed)
    baseline = [rng.uniform(0.2, 0.7) for _ in range(num_queries)]
    system = [min(1.0, value + effect + rng.gauss(0.0, 0.1)) for value in baseline]
    return system, baseline


def test_a_large_effect_is_significant_by_both_tests() -> None:
    system, baseline = synthetic()
    assert paired_t_test(system, baseline) < 1e-6
    assert paired_t_test(system, baseline) == pytest.approx(stats.ttest_rel(system, baseline).pvalue)
    p_value = randomisation_test(system, baseline, n_resamples=2000, seed=0)
    assert p_value < 0.01
    # no sign flip of 50 positive-leaning differences reaches the observed mean: p is the smallest possible
    assert p_value == pytest.approx(2 / 2001)


def test_identical_runs_are_not_significant() -> None:
    _, baseline = synthetic()
    assert paired_t_test(baseline, list(baseline)) == 1.0
    assert randomisation_test(baseline, list(baseline)) == 1.0


def test_no_effect_gives_a_large_p_value() -> None:
    rng = random.Random(3)
    baseline = [rng.random() for _ in range(60)]
    system = [value + rng.gauss(0.0, 0.05) for value in baseline]
    assert paired_t_test(system, baseline) > 0.05
    assert randomisation_test(system, baseline, n_resamples=2000) > 0.05


def test_the_randomisation_test_is_exact_for_few_queries() -> None:
    # differences (1, 1, 1, 0.5): of the 16 sign assignments only all-plus and all-minus reach |sum| 3.5: p = 2 / 16
    assert randomisation_test([1.0, 1.0, 1.0, 0.5], [0.0, 0.0, 0.0, 0.0]) == pytest.approx(0.125)


def test_a_constant_difference_is_significant_for_the_t_test() -> None:
    assert paired_t_test([0.5, 0.6, 0.7], [0.4, 0.5, 0.6]) == pytest.approx(0.0, abs=1e-12)
    assert paired_t_test([0.5], [0.1]) == 1.0  # one query: no test


def test_holm_bonferroni_against_hand_computation() -> None:
    # sorted: 0.01 (x4 = 0.04), 0.03 (x3 = 0.09), 0.04 (x2 = 0.08 -> 0.09, monotone), 0.5 (x1 = 0.5)
    assert holm_bonferroni([0.04, 0.5, 0.01, 0.03]) == pytest.approx([0.09, 0.5, 0.04, 0.09])
    assert holm_bonferroni([0.3, 0.6]) == pytest.approx([0.6, 0.6])
    assert holm_bonferroni([0.9, 0.8]) == pytest.approx([1.0, 1.0])
    assert holm_bonferroni([0.02]) == [0.02]
    assert holm_bonferroni([]) == []
    with pytest.raises(ValueError, match=r"holm_bonferroni: p-values must lie in \[0, 1\], got 1.5"):
        holm_bonferroni([0.1, 1.5])


def test_unpaired_values_are_refused() -> None:
    with pytest.raises(ValueError, match="paired test: 2 system values but 3 baseline values"):
        paired_t_test([0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="randomisation_test: n_resamples must be a positive integer"):
        randomisation_test([0.1, 0.2], [0.2, 0.1], n_resamples=0)
