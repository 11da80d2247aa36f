"""Writing an experiment report folder (``report.md``, ``report.csv``, PNG plots), atomically and owner-checked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_directory, check_replaceable
from .plots import plot_cutoffs, plot_differences, plot_file_name
from .report_tables import csv_report, markdown_report

if TYPE_CHECKING:
    from .report import ExperimentReport

REPORT_TITLE = "# Lightning IR experiment report"
"""First line of ``report.md``; a folder whose ``report.md`` starts with it is a report folder."""

REPORT_FILES = ("report.md", "report.csv")
"""The files of a report folder besides its PNG plots."""

WHAT = "experiment report folder"


def is_report_dir(path: Path) -> bool:
    """Whether ``path`` is a report folder written by :func:`write_report` (and so may be replaced by a new one).

    It must hold nothing but ``report.md`` (starting with :data:`REPORT_TITLE`), ``report.csv`` and the ``.png``
    plots that ``report.md`` shows: a picture put there by someone else makes it no report folder.
    """
    if not path.is_dir():
        return False
    images = []
    for child in path.iterdir():
        if child.is_symlink() or not child.is_file() or (child.name not in REPORT_FILES and child.suffix != ".png"):
            return False
        if child.suffix == ".png":
            images.append(child.name)
    try:
        text = (path / "report.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return text.split("\n", 1)[0] == REPORT_TITLE and all(f"]({image})" in text for image in images)


def check_report_dir(output_dir: str | Path) -> Path:
    """Checks, before any work, that a report may be written to ``output_dir`` (see :func:`is_report_dir`).

    Raises:
        OverwriteRefusedError: ``output_dir`` exists and is neither empty nor a report folder.
    """
    return check_replaceable(output_dir, is_report_dir, WHAT)


def write_report(report: ExperimentReport, output_dir: Path) -> list[Path]:
    """Writes the report's plots, ``report.md`` and ``report.csv`` into a fresh ``output_dir``.

    Plots: ``differences-<measure>.png`` for each measure when there are systems to compare with the baseline, and
    ``cutoffs-<family>.png`` for each measure family with a cut-off.

    Returns:
        The files written, at their final place.
    """
    check_report_dir(output_dir)
    with atomic_directory(output_dir, is_report_dir, WHAT) as staging:
        images = []
        if len(report.systems) > 1:
            for measure in report.measures:
                images.append(plot_differences(report, measure, staging / plot_file_name("differences", measure)).name)
        for family, curves in report.curves.items():
            images.append(
                plot_cutoffs(curves, family, report.baseline, staging / plot_file_name("cutoffs", family)).name
            )
        (staging / "report.md").write_text(markdown_report(report, images), encoding="utf-8")
        (staging / "report.csv").write_text(csv_report(report), encoding="utf-8")
        names = [*REPORT_FILES, *images]
    resolved = Path(output_dir)
    return [resolved / name for name in names]
