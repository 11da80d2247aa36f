"""Experiments on runs: fusing runs and reporting measures with significance tests and plots.

- :func:`fuse_runs` fuses two or more runs (reciprocal rank fusion, CombSUM, CombMNZ; ranx), :func:`save_run` writes
  a run as a TREC file.
- :func:`evaluate_runs` evaluates runs against qrels (ir_measures), tests each against a baseline (paired t-test and
  randomisation test, Holm-Bonferroni corrected; scipy) and returns an :class:`ExperimentReport`, which prints as a
  table and writes ``report.md``, ``report.csv`` and PNG plots (matplotlib).
- :class:`HardNegativeMiner` mines training tuples (a positive and hard negatives) from a first stage's rankings of
  judged training queries, :func:`score_tuples` adds a teacher module's scores to them (``lightning-ir mine``,
  ``lightning-ir score_tuples``).
- :class:`Pipeline` runs first stages (:class:`BM25Stage`, :class:`DenseStage`), an optional :class:`FusionStage` and
  :class:`ReRankStage`, and the report over all their runs, in one call (``lightning-ir pipeline``).

ranx, scipy and matplotlib are imported when used; they come with ``pip install 'lightning-ir[report]'``. The
command-line forms are ``lightning-ir fuse`` and ``lightning-ir evaluate``.
"""

from __future__ import annotations

from .first_stages import BM25Stage, DenseStage, FirstStage
from .fusion import FusionMethod, ScoreNormalization, fuse_runs
from .later_stages import FusionStage, ReRankStage
from .mining import HardNegativeMiner, MiningResult
from .negatives import NegativeSampler, NegativeSampling
from .pipeline import Pipeline, PipelineResult
from .qrels import Qrels, QrelsLike, load_qrels
from .report import Comparison, ExperimentReport, evaluate_runs
from .runs import Run, RunLike, load_run, save_run
from .significance import holm_bonferroni, paired_t_test, randomisation_test
from .teacher_scores import score_tuples, teacher_scores

__all__ = [
    "BM25Stage",
    "Comparison",
    "DenseStage",
    "ExperimentReport",
    "FirstStage",
    "FusionMethod",
    "FusionStage",
    "HardNegativeMiner",
    "MiningResult",
    "NegativeSampler",
    "NegativeSampling",
    "Pipeline",
    "PipelineResult",
    "Qrels",
    "QrelsLike",
    "ReRankStage",
    "Run",
    "RunLike",
    "ScoreNormalization",
    "evaluate_runs",
    "fuse_runs",
    "holm_bonferroni",
    "load_qrels",
    "load_run",
    "paired_t_test",
    "randomisation_test",
    "save_run",
    "score_tuples",
    "teacher_scores",
]
