"""Later stages of a pipeline: fusing the first stages' runs, and re-ranking a run with a module."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ..base.module import LightningIRModule
from ..callbacks import ReRankCallback
from ..data import LightningIRDataModule, RunDataset
from ..validation import check_positive
from .fusion import FusionMethod, ScoreNormalization, check_fusion, check_weights, fuse_runs
from .pipeline_context import PipelineContext, StageRun, check_stage_name
from .runs import save_run


class FusionStage:
    """Fuses the runs of the first stages with :func:`~lightning_ir.experiment.fuse_runs` into ``runs/<name>.run``.

    Args:
        method: ``rrf`` (reciprocal rank fusion, score ``sum_i w_i / (k + rank_i)``), ``combsum`` or ``combmnz``.
        normalization: Score normalisation of CombSUM / CombMNZ: ``min-max``, ``z-score`` or None.
        weights: One weight per first stage, in their order (default 1 each).
        k: RRF's constant.
        depth: Documents kept per query (all when None).
        name: The stage's name (default ``fused-<method>``).
    """

    def __init__(
        self,
        method: FusionMethod = "rrf",
        normalization: ScoreNormalization | None = None,
        weights: Sequence[float] | None = None,
        k: float = 60,
        depth: int | None = None,
        name: str | None = None,
    ) -> None:
        self.depth = check_fusion("FusionStage", method, normalization, k, depth)
        self.method = method
        self.normalization = normalization
        self.weights = check_weights("FusionStage", weights, None)
        self.k = k
        self.name = check_stage_name(f"fused-{method}" if name is None else name)

    def run(self, runs: Sequence[Path], context: PipelineContext) -> StageRun:
        """Fuses ``runs`` and writes the fused run."""
        start = time.perf_counter()
        fused = fuse_runs(
            list(runs), self.method, normalization=self.normalization, weights=self.weights, k=self.k, depth=self.depth
        )
        path = save_run(context.run_path(self.name), fused, tag=self.name)
        return StageRun(path, {self.name: time.perf_counter() - start})


class ReRankStage:
    """Re-ranks the top ``depth`` documents of a run with a module (``LightningIRTrainer.re_rank``).

    Any Lightning IR module re-ranks: a cross-encoder, or a bi-encoder scoring each query's documents.

    Args:
        module: The re-ranking module (e.g. ``CrossEncoderModule(...)`` or ``BiEncoderModule(...)``).
        depth: Documents re-ranked per query (the rest of the run is dropped).
        input_stage: The stage whose run is re-ranked (default: the fusion's, else the only first stage's).
        batch_size: Queries per batch (each with up to ``depth`` documents).
        name: The stage's name (default ``re-ranked``).
    """

    def __init__(
        self,
        module: LightningIRModule,
        depth: int = 100,
        input_stage: str | None = None,
        batch_size: int = 4,
        name: str = "re-ranked",
    ) -> None:
        self.module = module
        self.depth = check_positive("ReRankStage", "depth", depth)
        self.input_stage = input_stage
        self.batch_size = check_positive("ReRankStage", "batch_size", batch_size)
        self.name = check_stage_name(name)

    def run(self, run: Path, context: PipelineContext) -> StageRun:
        """Re-ranks ``run`` and writes the re-ranked run."""
        start = time.perf_counter()
        dataset = RunDataset(run, depth=self.depth, dataset_id=context.query_dataset)
        data = LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=self.batch_size)
        callback = ReRankCallback(save_dir=context.runs_dir, run_name=context.run_path(self.name).name)
        context.trainer([callback]).re_rank(self.module, datamodule=data, verbose=False)
        return StageRun(callback.run_paths[0], {self.name: time.perf_counter() - start})
