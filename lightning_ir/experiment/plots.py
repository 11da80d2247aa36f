"""PNG plots of the experiment report, drawn with matplotlib's Agg renderer (no display, no pyplot state).

- :func:`plot_differences`: per query, a system's value minus the baseline's on one measure, as bars sorted from the
  largest gain to the largest loss (one panel per system).
- :func:`plot_cutoffs`: a measure family (``nDCG``, ``R``, ...) at several cut-offs, one line per system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import ExperimentReport

GAIN_COLOUR = "#2b8a3e"
LOSS_COLOUR = "#c92a2a"


def plot_file_name(kind: str, label: str) -> str:
    """The PNG file name of a plot: ``differences-nDCG@10.png``, ``cutoffs-R.png`` (unsafe characters as ``_``)."""
    slug = re.sub(r"[^A-Za-z0-9@=.+-]+", "_", label).strip("_.") or "measure"
    return f"{kind}-{slug}.png"


def plot_differences(report: ExperimentReport, measure: str, path: Path) -> Path:
    """Sorted per-query differences to the baseline on ``measure``, one panel per compared system.

    Raises:
        ValueError: The report has a single system (nothing to compare).
    """
    systems = [system for system in report.systems if system != report.baseline]
    if not systems:
        raise ValueError("plot_differences: the report has no system besides the baseline")
    figure = _figure(width=8.0, height=1.0 + 2.6 * len(systems))
    base = report.per_query[report.baseline][measure]
    first = None
    for index, system in enumerate(systems, start=1):
        axes = figure.add_subplot(len(systems), 1, index, sharey=first)  # one scale: panels compare at a glance
        first = first or axes
        values = report.per_query[system][measure]
        differences = sorted((values[q] - base[q] for q in report.query_ids), reverse=True)
        colours = [GAIN_COLOUR if d > 0 else LOSS_COLOUR for d in differences]
        axes.bar(range(len(differences)), differences, width=1.0, color=colours, linewidth=0)
        axes.axhline(0.0, color="black", linewidth=0.8)
        comparison = report.comparison(system, measure)
        wins, losses = sum(d > 0 for d in differences), sum(d < 0 for d in differences)
        axes.set_title(
            f"{system} - {report.baseline}: mean {comparison.difference:+.4f}, {wins} better / {losses} worse, "
            f"p (t-test, Holm) {comparison.t_test_p_holm:.3g}",
            fontsize=9,
        )
        axes.set_ylabel(f"difference in {measure}", fontsize=9)
        axes.set_xlim(-0.5, len(differences) - 0.5)
        axes.set_xticks([])
    figure.axes[-1].set_xlabel(f"{len(report.query_ids)} queries, sorted by difference", fontsize=9)
    return _save(figure, path)


def plot_cutoffs(curves: Mapping[str, Mapping[int, float]], family: str, baseline: str | None, path: Path) -> Path:
    """``family@k`` against the cut-off ``k`` (log scale), one line per system (the baseline dashed)."""
    figure = _figure(width=7.0, height=4.5)
    axes = figure.add_subplot(1, 1, 1)
    for system, points in curves.items():
        is_baseline = system == baseline and len(curves) > 1
        label = f"{system} (baseline)" if is_baseline else system
        axes.plot(
            list(points), list(points.values()), "--" if is_baseline else "-", marker="o", markersize=3, label=label
        )
    cutoffs = sorted({k for points in curves.values() for k in points})
    axes.set_xscale("log")
    axes.set_xticks(cutoffs, [str(k) for k in cutoffs])
    axes.minorticks_off()
    axes.set_xlabel("cut-off k")
    axes.set_ylabel(f"{family}@k")
    axes.set_title(f"{family}@k by cut-off")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    return _save(figure, path)


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("report plots need matplotlib; install it with pip install 'lightning-ir[report]'") from error
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(figure: Any, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", metadata={"Software": None})
    return path
