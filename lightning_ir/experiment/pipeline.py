"""Pipeline: first stage(s) -> optional fusion -> optional re-ranking -> experiment report, in one call.

A pipeline writes everything under its ``output_dir``::

    output_dir/
        runs/bm25.run          one run per first stage, named after the stage
        runs/dense.run
        runs/fused-rrf.run     the fusion's run
        runs/re-ranked.run     the re-ranked run
        report/                report.md, report.csv and PNG plots over all the runs (evaluate_runs)

Every file is written atomically and replaces only a file of its kind (a run file, a report folder, a Lightning IR
index); all targets are checked before the first stage starts. From the command line: ``lightning-ir pipeline
--config recipe.yaml`` (see ``configs/pipeline-*.yaml``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import check_replaceable
from ..data.ir_datasets_utils import load_dataset
from ..data.run_file import is_run_file
from .first_stages import FirstStage
from .later_stages import FusionStage, ReRankStage
from .measures import parse_measures
from .pipeline_context import PipelineContext, StageRun
from .report import ExperimentReport, evaluate_runs
from .report_files import check_report_dir

REPORT_DIR = "report"
RUNS_DIR = "runs"


@dataclass
class PipelineResult:
    """What a pipeline produced.

    Attributes:
        runs: The run file of every stage, by stage name, in the order they ran.
        seconds: Wall-clock seconds of every step (``bm25-index``, ``bm25-search``, ``fused-rrf``, ...).
        report: The experiment report over all the runs (None with ``report=False``).
    """

    runs: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    report: ExperimentReport | None = None

    def add(self, name: str, stage_run: StageRun) -> None:
        """Records a stage's run file and timings."""
        self.runs[name] = stage_run.path
        self.seconds.update(stage_run.seconds)


class Pipeline:
    """First stage(s), optional fusion, optional re-ranking and an experiment report over all the runs.

    Example::

        pipeline = Pipeline(
            query_dataset="beir/scifact/test",
            doc_dataset="beir/scifact",
            output_dir="experiments/scifact-hybrid",
            first_stages=[
                BM25Stage("indexes/scifact-bm25"),
                DenseStage(BiEncoderModule("sentence-transformers/all-MiniLM-L6-v2"), "indexes/scifact-minilm"),
            ],
            fusion=FusionStage("rrf"),
        )
        result = pipeline.run()
        print(result.report)

    Args:
        query_dataset: The queries (ir_datasets id, registered local collection or folder); their qrels are the
            report's, and re-ranking reads query and document texts from this collection.
        output_dir: Folder of ``runs/`` and ``report/`` (see the module docstring).
        first_stages: One or more :class:`~lightning_ir.experiment.first_stages.FirstStage` (``BM25Stage``,
            ``DenseStage``) with distinct names.
        doc_dataset: The documents the first stages index (not needed when every stage has ``index=False``).
        fusion: Fuses the first stages' runs (needs two or more first stages).
        re_rank: Re-ranks the fused run (or the run of its ``input_stage``, or the only first stage's).
        metrics: ir_measures names of the report.
        baseline: The report's baseline: a position in the order the runs are produced or a stage name.
        report: Write the report (the queries must have qrels).
        report_dir: Folder of the report (default ``<output_dir>/report``).
        trainer_kwargs: Keyword arguments of the ``LightningIRTrainer`` of the dense and re-ranking stages (default:
            no logger, no model summary, ``default_root_dir`` = ``output_dir``).

    Raises:
        ValueError: No first stage, repeated stage names, fusion with fewer than two first stages or a wrong number
            of weights, or a re-ranking input that names no stage.
    """

    def __init__(
        self,
        query_dataset: str,
        output_dir: str | Path,
        first_stages: Sequence[FirstStage],
        doc_dataset: str | None = None,
        fusion: FusionStage | None = None,
        re_rank: ReRankStage | None = None,
        metrics: Sequence[str] = ("nDCG@10", "R@100"),
        baseline: int | str = 0,
        report: bool = True,
        report_dir: str | Path | None = None,
        trainer_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.query_dataset = query_dataset
        self.output_dir = Path(output_dir)
        self.first_stages = list(first_stages)
        self.doc_dataset = doc_dataset
        self.fusion = fusion
        self.re_rank = re_rank
        self.metrics = list(metrics)
        self.baseline = baseline
        self.report = report
        self.report_dir = self.output_dir / REPORT_DIR if report_dir is None else Path(report_dir)
        defaults = {"logger": False, "enable_model_summary": False, "default_root_dir": str(self.output_dir)}
        self.trainer_kwargs = {**defaults, **(trainer_kwargs or {})}
        self._check_stages()

    @property
    def stage_names(self) -> list[str]:
        """The names of the stages, in the order they run (first stages, fusion, re-ranking)."""
        later = [stage.name for stage in (self.fusion, self.re_rank) if stage is not None]
        return [stage.name for stage in self.first_stages] + later

    def re_rank_input(self) -> str:
        """The name of the stage whose run is re-ranked."""
        if self.re_rank is None:
            raise ValueError("Pipeline: there is no re-ranking stage")
        if self.re_rank.input_stage is not None:
            return self.re_rank.input_stage
        if self.fusion is not None:
            return self.fusion.name
        return self.first_stages[0].name

    def run(self) -> PipelineResult:
        """Runs every stage and writes the report; all outputs are checked before the first stage starts.

        Returns:
            The run files, timings and report.
        """
        context = self._context()
        self._check_outputs(context)
        result = PipelineResult()
        for stage in self.first_stages:
            result.add(stage.name, stage.run(context))
        if self.fusion is not None:
            first_runs = [result.runs[stage.name] for stage in self.first_stages]
            result.add(self.fusion.name, self.fusion.run(first_runs, context))
        if self.re_rank is not None:
            result.add(self.re_rank.name, self.re_rank.run(result.runs[self.re_rank_input()], context))
        if self.report:
            start = time.perf_counter()
            result.report = evaluate_runs(
                self.query_dataset,
                result.runs,
                metrics=self.metrics,
                baseline=self.baseline,
                output_dir=self.report_dir,
            )
            result.seconds["report"] = time.perf_counter() - start
        return result

    def _context(self) -> PipelineContext:
        return PipelineContext(
            query_dataset=self.query_dataset,
            doc_dataset=self.doc_dataset,
            runs_dir=self.output_dir / RUNS_DIR,
            trainer_kwargs=self.trainer_kwargs,
        )

    def _check_stages(self) -> None:
        if not self.first_stages:
            raise ValueError("Pipeline: first_stages must hold at least one stage (BM25Stage, DenseStage)")
        names = self.stage_names
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"Pipeline: stage names must differ (they name the run files), repeated: {repeated}")
        index_dirs = [stage.index_dir.resolve() for stage in self.first_stages]
        if len(set(index_dirs)) != len(index_dirs):
            raise ValueError("Pipeline: every first stage needs its own index_dir")
        if self.fusion is not None:
            if len(self.first_stages) < 2:
                raise ValueError("Pipeline: fusion needs two or more first stages")
            weights = self.fusion.weights
            if weights is not None and len(weights) != len(self.first_stages):
                raise ValueError(
                    f"Pipeline: the fusion has {len(weights)} weights for {len(self.first_stages)} first stages"
                )
        if self.re_rank is not None:
            source = self.re_rank_input()
            if source not in names[:-1]:
                raise ValueError(f"Pipeline: re_rank input_stage {source!r} is none of the stages {names[:-1]}")
        if isinstance(self.baseline, str) and self.baseline not in names:
            raise ValueError(f"Pipeline: baseline {self.baseline!r} is none of the stages {names}")
        if isinstance(self.baseline, int) and not 0 <= self.baseline < len(names):
            raise ValueError(f"Pipeline: baseline {self.baseline} is no position among the {len(names)} stages {names}")
        parse_measures("Pipeline", self.metrics)

    def _check_outputs(self, context: PipelineContext) -> None:
        """Checks every input and output before any work (indexes, run files, the report folder, the qrels)."""
        for stage in self.first_stages:
            stage.check(context)
        for name in self.stage_names:
            check_replaceable(context.run_path(name), is_run_file, "run file", directory=False)
        if self.report:
            runs_dir = (self.output_dir / RUNS_DIR).resolve()
            report_dir = self.report_dir.resolve()
            if report_dir == runs_dir or runs_dir.is_relative_to(report_dir) or report_dir.is_relative_to(runs_dir):
                raise ValueError(
                    f"Pipeline: report_dir {self.report_dir} and the run files' folder {runs_dir} must not hold one "
                    "another; give the report its own folder (default <output_dir>/report)"
                )
            check_report_dir(self.report_dir)
            if not load_dataset(self.query_dataset).has_qrels():
                raise ValueError(
                    f"Pipeline: '{self.query_dataset}' has no qrels for the report; set report: false or use "
                    "queries with relevance judgements"
                )
