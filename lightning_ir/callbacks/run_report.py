"""RunReport: the experiment report a ranking callback writes for each run it produces (the ``report_dir`` option).

Used by :class:`~lightning_ir.callbacks.RankCallback` (and so ``SearchCallback`` and ``ReRankCallback``): when a
dataset has qrels, the run written for it is evaluated with :func:`lightning_ir.experiment.evaluate_runs`, optionally
against a baseline run file, and the report (``report.md``, ``report.csv``, PNG plots) is written to ``report_dir``
(to ``report_dir/<run file name without suffix>`` when the loop has several datasets).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

DEFAULT_REPORT_METRICS = ("nDCG@10", "R@100")
"""Measures of the report when neither the callback nor the module names any."""


class RunReport:
    """The report options of a ranking callback, checked when given and when the loop starts.

    Args:
        owner: The callback's class name (starts error messages).
        report_dir: Folder of the report; None writes no report.
        metrics: ir_measures measure names; default the module's ``evaluation_metrics`` (without ``"loss"``), else
            :data:`DEFAULT_REPORT_METRICS`.
        baseline: A run file to compare each produced run with (the report's baseline); None reports the produced
            run alone.

    Raises:
        ValueError: A metric is not an ir_measures measure.
        FileNotFoundError: ``baseline`` does not exist.
    """

    def __init__(
        self,
        owner: str,
        report_dir: str | Path | None,
        metrics: Sequence[str] | None = None,
        baseline: str | Path | None = None,
    ) -> None:
        from ..experiment.measures import parse_measures

        self.owner = owner
        self.report_dir = None if report_dir is None else Path(report_dir)
        self.metrics = None if metrics is None else list(parse_measures(owner, metrics))
        self.baseline = None if baseline is None else Path(baseline)
        if self.baseline is not None and not self.baseline.is_file():
            raise FileNotFoundError(f"{owner}: report_baseline {self.baseline} does not exist")

    def folder(self, run_path: Path, num_datasets: int) -> Path | None:
        """The report folder of a run (None when no report is asked for)."""
        if self.report_dir is None:
            return None
        return self.report_dir if num_datasets == 1 else self.report_dir / run_path.stem

    def check(self, run_paths: Sequence[Path]) -> None:
        """Before any work: each report folder may be written and the baseline is not one of the runs written.

        Raises:
            OverwriteRefusedError: A report folder exists and is something else.
            ValueError: The baseline is one of the runs the loop writes.
        """
        from ..experiment.report_files import check_report_dir

        for run_path in run_paths:
            folder = self.folder(run_path, len(run_paths))
            if folder is not None:
                check_report_dir(folder)
            if self.baseline is not None and folder is not None and self.baseline.resolve() == run_path.resolve():
                raise ValueError(
                    f"{self.owner}: report_baseline {self.baseline} is the run being written; give another run file"
                )

    def write(
        self,
        run_path: Path,
        system: str,
        qrels: Mapping[str, Mapping[str, int]],
        dataset: str,
        module_metrics: Sequence[str] | None,
        num_datasets: int,
    ) -> Path | None:
        """Writes the report of one produced run; returns its folder (None without report or without qrels).

        Args:
            run_path: The run file written.
            system: The run's name in the report (e.g. the model's name).
            qrels: The judgements of the run's queries; without any, a warning is given and no report is written.
            dataset: The dataset's name (the report names the qrels after it).
            module_metrics: The module's ``evaluation_metrics``.
            num_datasets: Number of datasets of the loop (several: one sub-folder per run).
        """
        folder = self.folder(run_path, num_datasets)
        if folder is None:
            return None
        if not any(qrels.values()):
            warnings.warn(f"{self.owner}: no qrels for the queries of {run_path}; no report written", stacklevel=2)
            return None
        from ..experiment.report import evaluate_runs

        metrics = self.metrics or [m for m in module_metrics or () if m != "loss"] or list(DEFAULT_REPORT_METRICS)
        runs: dict[str, str | Path] = {system: run_path}
        if self.baseline is not None:
            name = self.baseline.stem if self.baseline.stem != system else f"{self.baseline.parent.name}/{system}"
            runs = {name: self.baseline, **runs}
        evaluate_runs(qrels, runs, metrics=metrics, baseline=0, output_dir=folder, qrels_name=f"qrels of {dataset}")
        return folder
