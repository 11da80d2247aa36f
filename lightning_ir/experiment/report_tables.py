"""The experiment report as text, Markdown and CSV: the table of means with significance marks and the p-values."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .report import ExperimentReport

T_TEST_MARK = "†"
"""Marks a mean that differs significantly from the baseline's by the paired t-test (Holm-corrected)."""

RANDOMISATION_MARK = "‡"
"""Marks a mean that differs significantly from the baseline's by the randomisation test (Holm-corrected)."""

CSV_COLUMNS = (
    "system",
    "measure",
    "mean",
    "queries",
    "missing_queries",
    "is_baseline",
    "difference",
    "t_test_p",
    "t_test_p_holm",
    "randomisation_p",
    "randomisation_p_holm",
    "significant_t_test",
    "significant_randomisation",
)
"""Columns of ``report.csv``: one row per system and measure (the test columns are empty for the baseline)."""


def marks(report: ExperimentReport, system: str, measure: str) -> str:
    """The significance marks of a system's mean (empty for the baseline and for no significant difference)."""
    if system == report.baseline:
        return ""
    comparison = report.comparison(system, measure)
    return (T_TEST_MARK if comparison.significant_t_test else "") + (
        RANDOMISATION_MARK if comparison.significant_randomisation else ""
    )


def means_rows(report: ExperimentReport) -> list[list[str]]:
    """Header and one row per system: its name (the baseline marked) and its means with marks."""
    rows = [["system", *report.measures]]
    for system in report.systems:
        label = f"{system} (baseline)" if system == report.baseline and len(report.systems) > 1 else system
        cells = [f"{report.means[system][m]:.4f} {marks(report, system, m)}".rstrip() for m in report.measures]
        rows.append([label, *cells])
    return rows


def p_value_rows(report: ExperimentReport) -> list[list[str]]:
    """Header and one row per comparison: difference and raw / Holm-corrected p-values of both tests."""
    rows = [["system", "measure", "difference", "p t-test", "p t-test Holm", "p randomisation", "p randomisation Holm"]]
    for c in report.comparisons:
        p_values = (c.t_test_p, c.t_test_p_holm, c.randomisation_p, c.randomisation_p_holm)
        rows.append([c.system, c.measure, f"{c.difference:+.4f}", *(_p(p) for p in p_values)])
    return rows


def legend(report: ExperimentReport) -> str:
    """What the marks mean."""
    others = len(report.systems) - 1
    return (
        f"{T_TEST_MARK} paired t-test, {RANDOMISATION_MARK} randomisation test ({report.n_resamples} resamples): "
        f"p < {report.alpha:g} against the baseline {report.baseline}, Holm-Bonferroni corrected over {others} "
        f"system{'s' if others != 1 else ''}"
    )


def notes(report: ExperimentReport) -> list[str]:
    """Remarks on missing results."""
    total = len(report.query_ids)
    return [
        f"{system} has no results for {count} of the {total} judged queries; they count 0"
        for system, count in report.missing.items()
        if count
    ]


def text_report(report: ExperimentReport) -> str:
    """The report as plain text: title, table of means with marks, legend, p-values and notes."""
    lines = [_title(report), _aligned(means_rows(report))]
    if report.comparisons:
        lines += [legend(report), "", _aligned(p_value_rows(report))]
    lines += notes(report)
    return "\n".join(lines)


def markdown_report(report: ExperimentReport, images: list[str]) -> str:
    """The report as Markdown (its first line marks a report folder, see :mod:`.report_files`)."""
    from .report_files import REPORT_TITLE

    parts = [REPORT_TITLE, "", _title(report), "", _markdown_table(means_rows(report))]
    if report.comparisons:
        parts += ["", legend(report), "", "## p-values", "", _markdown_table(p_value_rows(report))]
    if notes(report):
        parts += ["", *(f"- {note}" for note in notes(report))]
    if images:
        parts += ["", "## Plots", "", *(f"![{image}]({image})\n" for image in images)]
    return "\n".join(parts).rstrip() + "\n"


def csv_report(report: ExperimentReport) -> str:
    """The report as CSV (see :data:`CSV_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for system in report.systems:
        for measure in report.measures:
            row: list[object] = [system, measure, repr(report.means[system][measure]), len(report.query_ids)]
            row += [report.missing[system], system == report.baseline]
            if system == report.baseline:
                row += [""] * 7
            else:
                c = report.comparison(system, measure)
                row += [repr(c.difference), repr(c.t_test_p), repr(c.t_test_p_holm), repr(c.randomisation_p)]
                row += [repr(c.randomisation_p_holm), c.significant_t_test, c.significant_randomisation]
            writer.writerow(row)
    return buffer.getvalue()


def _title(report: ExperimentReport) -> str:
    return f"{len(report.systems)} system(s) on {len(report.query_ids)} judged queries ({report.qrels})"


def _p(p_value: float) -> str:
    return f"{p_value:.4f}" if p_value >= 1e-4 else f"{p_value:.1e}"


def _aligned(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)
