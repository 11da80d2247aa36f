"""The experiment report: measures per system, paired significance tests against a baseline, tables and plots.

:func:`evaluate_runs` evaluates several runs on the same judged queries with ir_measures, tests each system against
the baseline with a paired t-test and a randomisation test (scipy, see :mod:`.significance`), corrects the p-values
of each measure and test with Holm-Bonferroni across the systems, and returns an :class:`ExperimentReport`. Printed,
the report is a table with significance marks; :meth:`ExperimentReport.write` writes ``report.md``, ``report.csv``
and PNG plots (per-query differences to the baseline, measures at several cut-offs) into a folder.

The queries are those of the qrels; a judged query a run has no result for counts 0 for it (as ``trec_eval -c``),
and the report says how many there were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..data.validation import InputFileError
from ..validation import check_positive
from .measures import cutoff_families, parse_measures, per_query_values
from .qrels import QrelsLike, load_qrels
from .report_files import check_report_dir, write_report
from .report_tables import text_report
from .runs import Run, RunLike, load_run, name_runs
from .significance import holm_bonferroni, paired_t_test, randomisation_test


@dataclass(frozen=True)
class Comparison:
    """One system against the baseline on one measure.

    Attributes:
        system: The system's name.
        measure: The measure's name.
        difference: Mean of the system minus mean of the baseline.
        t_test_p: Two-sided p-value of the paired t-test.
        t_test_p_holm: ``t_test_p`` after Holm-Bonferroni correction across the systems.
        randomisation_p: Two-sided p-value of the paired randomisation test.
        randomisation_p_holm: ``randomisation_p`` after Holm-Bonferroni correction across the systems.
        alpha: The significance level.
    """

    system: str
    measure: str
    difference: float
    t_test_p: float
    t_test_p_holm: float
    randomisation_p: float
    randomisation_p_holm: float
    alpha: float

    @property
    def significant_t_test(self) -> bool:
        """Whether the corrected t-test p-value is below ``alpha``."""
        return self.t_test_p_holm < self.alpha

    @property
    def significant_randomisation(self) -> bool:
        """Whether the corrected randomisation-test p-value is below ``alpha``."""
        return self.randomisation_p_holm < self.alpha


@dataclass
class ExperimentReport:
    """The result of :func:`evaluate_runs`; ``str(report)`` is the table with significance marks.

    Attributes:
        qrels: Where the judgements come from.
        query_ids: The judged queries every system is evaluated on.
        systems: System names, in the order given (the baseline among them).
        baseline: The baseline's name.
        measures: Measure names, in the order given.
        means: ``{system: {measure: mean over query_ids}}``.
        per_query: ``{system: {measure: {query_id: value}}}``.
        comparisons: Each non-baseline system against the baseline on each measure.
        curves: ``{family: {system: {cutoff: mean}}}`` for the measures with a cut-off (e.g. ``"nDCG"``).
        missing: ``{system: judged queries without a result}`` (they count 0).
        alpha: Significance level of the marks.
        n_resamples: Resamples of the randomisation test.
        files: The files :meth:`write` wrote last.
    """

    qrels: str
    query_ids: list[str]
    systems: list[str]
    baseline: str
    measures: list[str]
    means: dict[str, dict[str, float]]
    per_query: dict[str, dict[str, dict[str, float]]]
    comparisons: list[Comparison]
    curves: dict[str, dict[str, dict[int, float]]]
    missing: dict[str, int]
    alpha: float
    n_resamples: int
    files: list[Path] = field(default_factory=list)

    def comparison(self, system: str, measure: str) -> Comparison:
        """The comparison of ``system`` with the baseline on ``measure``.

        Raises:
            KeyError: No such comparison (the baseline is not compared with itself).
        """
        for comparison in self.comparisons:
            if comparison.system == system and comparison.measure == measure:
                return comparison
        raise KeyError(f"no comparison of {system!r} with the baseline on {measure!r}")

    def write(self, output_dir: str | Path) -> list[Path]:
        """Writes ``report.md``, ``report.csv`` and the PNG plots into ``output_dir``, atomically.

        ``output_dir`` is replaced as a whole; an existing folder is replaced only when it is empty or a report
        folder written here (it holds nothing but ``report.md``, ``report.csv`` and PNG files).

        Returns:
            The files written (also kept in :attr:`files`).

        Raises:
            OverwriteRefusedError: ``output_dir`` exists and is something else.
        """
        self.files = write_report(self, Path(output_dir))
        return self.files

    def __str__(self) -> str:
        return text_report(self)


def evaluate_runs(
    qrels: QrelsLike,
    runs: Sequence[RunLike] | Mapping[str, RunLike],
    metrics: Sequence[str] = ("nDCG@10", "R@100"),
    baseline: int | str = 0,
    output_dir: str | Path | None = None,
    alpha: float = 0.05,
    n_resamples: int = 10_000,
    seed: int = 0,
    cutoffs: Sequence[int] | None = None,
    qrels_name: str | None = None,
) -> ExperimentReport:
    """Evaluates runs on the same judged queries and compares each with a baseline.

    Args:
        qrels: A qrels file, an ir_datasets id (``beir/scifact/test``), a collection folder, or
            ``{query_id: {doc_id: relevance}}``.
        runs: Run files (named by their file name without the suffix; names must be unique) or in-memory runs, or a
            mapping from names to either.
        metrics: ir_measures measure names (``nDCG@10``, ``R@100``, ``RR@10``, ``AP``, ...).
        baseline: The baseline run: its position in ``runs`` (0 is the first) or its name or file name.
        output_dir: When given, the report is also written there (see :meth:`ExperimentReport.write`).
        alpha: Significance level of the marks (after Holm-Bonferroni correction).
        n_resamples: Random sign flips of the randomisation test.
        seed: Seed of the randomisation test.
        cutoffs: Cut-offs of the curves (default: 1, 3, 5, 10, 20, 50, 100, ... up to the deepest ranking).
        qrels_name: How the report names the qrels (default: the file or dataset id).

    Returns:
        The report.

    Raises:
        FileNotFoundError: A run or qrels file does not exist (or the qrels are not a known dataset).
        InputFileError: A malformed line, or a run with no judged query.
        ValueError: Unknown measure, baseline or invalid option; ambiguous run names.
        OverwriteRefusedError: ``output_dir`` exists and is not a report folder.
    """
    if output_dir is not None:
        check_report_dir(output_dir)  # before any work
    measures = parse_measures("evaluate_runs", metrics)
    if not 0 < alpha < 1:
        raise ValueError(f"evaluate_runs: alpha must lie between 0 and 1, got {alpha!r}")
    n_resamples = check_positive("evaluate_runs", "n_resamples", n_resamples)
    named = name_runs(runs)
    baseline_name = _baseline_name(baseline, named)
    judgements, source = load_qrels(qrels)
    query_ids = list(judgements)
    loaded = {name: _judged_run(name, run, judgements, source) for name, run in named.items()}
    per_query = {name: per_query_values(measures, judgements, run, query_ids) for name, run in loaded.items()}
    means = {name: {m: _mean(values[m].values()) for m in measures} for name, values in per_query.items()}
    depth = max(len(scores) for run in loaded.values() for scores in run.values())
    curves: dict[str, dict[str, dict[int, float]]] = {}
    for family, family_measures in cutoff_families(measures, depth, cutoffs).items():
        by_name = {str(m): m for m in family_measures.values()}
        curves[family] = {}
        for name, run in loaded.items():
            values = per_query_values(by_name, judgements, run, query_ids)
            curves[family][name] = {k: _mean(values[str(m)].values()) for k, m in family_measures.items()}
    report = ExperimentReport(
        qrels=qrels_name or source,
        query_ids=query_ids,
        systems=list(loaded),
        baseline=baseline_name,
        measures=list(measures),
        means=means,
        per_query=per_query,
        comparisons=_compare(per_query, baseline_name, list(measures), alpha, n_resamples, seed),
        curves=curves,
        missing={name: sum(1 for q in query_ids if not run.get(q)) for name, run in loaded.items()},
        alpha=alpha,
        n_resamples=n_resamples,
    )
    if output_dir is not None:
        report.write(output_dir)
    return report


def _baseline_name(baseline: int | str, named: Mapping[str, RunLike]) -> str:
    names = list(named)
    if isinstance(baseline, int) and not isinstance(baseline, bool):
        if not 0 <= baseline < len(names):
            raise ValueError(
                f"evaluate_runs: baseline {baseline} is not a run position; give 0 to {len(names) - 1} or a run name"
            )
        return names[baseline]
    for name, run in named.items():
        if str(baseline) == name or (isinstance(run, str | Path) and str(baseline) in (str(run), Path(run).name)):
            return name
    raise ValueError(f"evaluate_runs: baseline {baseline!r} is none of the runs {names} (give a name or a position)")


def _judged_run(name: str, run: RunLike, qrels: Mapping[str, Mapping[str, int]], source: str) -> Run:
    loaded = load_run(run)
    if not any(query_id in qrels and scores for query_id, scores in loaded.items()):
        where = f"run file {run}" if isinstance(run, str | Path) else f"run {name!r}"
        raise InputFileError(
            f"{where} has no query of the qrels ({source}: {len(qrels)} judged queries, e.g. "
            f"{', '.join(list(qrels)[:3])}); is it a run for another collection?"
        )
    return loaded


def _compare(
    per_query: Mapping[str, Mapping[str, Mapping[str, float]]],
    baseline: str,
    measures: list[str],
    alpha: float,
    n_resamples: int,
    seed: int,
) -> list[Comparison]:
    """Each system against the baseline; p-values Holm-corrected across systems, per measure and test."""
    systems = [name for name in per_query if name != baseline]
    comparisons: list[Comparison] = []
    for measure in measures:
        base = list(per_query[baseline][measure].values())
        values = {name: list(per_query[name][measure].values()) for name in systems}
        t_tests = [paired_t_test(values[name], base) for name in systems]
        randomisation = [randomisation_test(values[name], base, n_resamples, seed) for name in systems]
        for name, t_p, t_holm, r_p, r_holm in zip(
            systems, t_tests, holm_bonferroni(t_tests), randomisation, holm_bonferroni(randomisation), strict=True
        ):
            difference = _mean(values[name]) - _mean(base)
            comparisons.append(Comparison(name, measure, difference, t_p, t_holm, r_p, r_holm, alpha))
    return comparisons


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else float("nan")
