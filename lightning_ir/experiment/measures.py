"""Per-query evaluation with ir_measures over a fixed set of judged queries, and measure families for cut-off curves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

DEFAULT_CUTOFFS = (1, 3, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Cut-offs of the curves (those up to the deepest ranking evaluated, plus the cut-offs of the chosen measures)."""


def parse_measures(owner: str, metrics: Iterable[str]) -> dict[str, Any]:
    """The ir_measures measure of each metric name (in order, repeats dropped).

    Raises:
        ValueError: A name is not an ir_measures measure, or no name is given.
    """
    import ir_measures

    measures: dict[str, Any] = {}
    for metric in metrics:
        try:
            measures.setdefault(str(metric), ir_measures.parse_measure(str(metric)))
        except (NameError, ValueError, TypeError, SyntaxError, AttributeError):
            raise ValueError(
                f"{owner}: metrics: {metric!r} is not an ir_measures measure (e.g. 'nDCG@10', 'R@100', 'RR@10', 'AP')"
            ) from None
    if not measures:
        raise ValueError(f"{owner}: metrics: give at least one measure (e.g. 'nDCG@10')")
    return measures


def per_query_values(
    measures: Mapping[str, Any],
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    query_ids: Sequence[str],
) -> dict[str, dict[str, float]]:
    """Each measure's value for each of ``query_ids`` (computed by ir_measures).

    A query the run has no result for (or that ir_measures leaves out) counts 0, as with ``trec_eval -c``.

    Returns:
        ``{metric name: {query_id: value}}``.
    """
    import ir_measures

    names: dict[Any, list[str]] = {}
    for name, measure in measures.items():  # aliases (MRR@10 and RR@10) are equal measures: each name gets the value
        names.setdefault(measure, []).append(name)
    values: dict[str, dict[str, float]] = {name: dict.fromkeys(query_ids, 0.0) for name in measures}
    wanted = set(query_ids)
    judged = {query_id: dict(qrels[query_id]) for query_id in query_ids}
    answered = {query_id: dict(scores) for query_id, scores in run.items() if query_id in wanted and scores}
    if answered:
        for metric in ir_measures.iter_calc(list(names), judged, answered):
            if metric.query_id in wanted:
                for name in names[metric.measure]:
                    values[name][metric.query_id] = float(metric.value)
    return values


def cutoff_families(
    measures: Mapping[str, Any], max_depth: int, cutoffs: Sequence[int] | None
) -> dict[str, dict[int, Any]]:
    """For every measure with a cut-off, its family at several cut-offs: ``{"nDCG": {1: nDCG@1, 5: nDCG@5, ...}}``.

    Args:
        measures: The measures of the report.
        max_depth: The most documents any evaluated run ranks for a query (default cut-offs stop there).
        cutoffs: The cut-offs to use; default :data:`DEFAULT_CUTOFFS` up to ``max_depth``. The measures' own cut-offs
            are always added.
    """
    families: dict[str, dict[int, Any]] = {}
    for measure in measures.values():
        cutoff = measure.params.get("cutoff")
        if cutoff is None:
            continue
        family = str(measure).rsplit("@", 1)[0]
        chosen = list(cutoffs) if cutoffs is not None else [k for k in DEFAULT_CUTOFFS if k <= max(max_depth, 1)]
        for k in sorted({*chosen, int(cutoff), *families.get(family, {})}):
            families.setdefault(family, {})[k] = measure(cutoff=k)
        families[family] = dict(sorted(families[family].items()))
    return families
