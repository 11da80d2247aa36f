"""LightningIRTrainer: a Lightning ``Trainer`` that also indexes, searches and re-ranks.

It also writes Hugging Face checkpoints.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, cast

from lightning import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.accelerators import CUDAAccelerator
from lightning.pytorch.callbacks import RichProgressBar, TQDMProgressBar
from lightning.pytorch.plugins.precision import MixedPrecision, Precision
from lightning.pytorch.utilities.types import EVAL_DATALOADERS

from .base.evaluation import InferenceSummary
from .base.module import LightningIRModule
from .base.saving import save_model_folder
from .callbacks import IndexCallback, RankCallback
from .callbacks.progress_bar import LightningIRProgressBar
from .console import quiet_console
from .precision import describe_device, inference_precision
from .stages import STAGES, Stage, owning_stage

HUGGINGFACE_CHECKPOINT_DIR = "huggingface_checkpoint"
"""Name of the folder that holds the model in Hugging Face format (see :meth:`LightningIRTrainer.save_checkpoint`)."""


class LightningIRTrainer(Trainer):
    """A Lightning :class:`~lightning.Trainer` for Lightning IR modules; it takes every ``Trainer`` argument.

    ``fit`` fine-tunes a module (see :class:`~lightning_ir.base.module.LightningIRModule`). Every checkpoint the
    trainer saves (by ``ModelCheckpoint`` or :meth:`save_checkpoint`) is also written in Hugging Face format
    (``config.json``, ``model.safetensors``, tokenizer files) to ``<log dir>/huggingface_checkpoint`` (e.g.
    ``lightning_logs/version_0/huggingface_checkpoint``; beside the checkpoints for a ``ModelCheckpoint`` with its
    own ``dirpath``), which ``BiEncoderModule(path)``, ``CrossEncoderModule(path)`` and
    ``AutoModel.from_pretrained(path)`` load. The folder always holds the model of the most recent checkpoint; it is
    written to a temporary folder and renamed into place, so it is never half-written.

    ``index``, ``search`` and ``re_rank`` run the test loop over the inference datasets with the callbacks of the
    stage (the other stages' callbacks sit out): ``index`` needs an :class:`~lightning_ir.callbacks.IndexCallback`;
    ``search`` a :class:`~lightning_ir.callbacks.SearchCallback` (or a ``BiEncoderModule`` with ``index_dir`` and
    ``search_config``); ``re_rank`` writes runs with the :class:`~lightning_ir.callbacks.ReRankCallback` given, or
    one with default settings. ``search`` and ``re_rank`` print a table of the module's ``evaluation_metrics`` per
    dataset (for datasets with qrels) with the time taken, and return the metrics.

    Unless a ``precision`` is given (argument, ``PL_TRAINER_PRECISION`` or a precision plugin), ``index``, ``search``
    and ``re_rank`` pick one for the hardware (see :func:`lightning_ir.precision.inference_precision`): ``bf16-mixed``
    on GPUs since Ampere and on CPUs with AVX512-BF16 or AMX, ``32-true`` elsewhere (e.g. AVX2 CPUs); with ``verbose``
    the choice is printed when the stage starts. Scores and similarities are computed in float32 either way. ``fit``
    makes the same choice for training and prints it; under strategies with their own precision plugins (FSDP,
    DeepSpeed) their plugin stays.

    Example:
        >>> trainer = LightningIRTrainer(max_steps=100)  # doctest: +SKIP
        >>> trainer.fit(module, datamodule)  # doctest: +SKIP
        >>> trainer = LightningIRTrainer(callbacks=[IndexCallback("index", TorchDenseIndexConfig())])  # doctest: +SKIP
        >>> trainer.index(module, LightningIRDataModule(inference_datasets=[DocDataset("beir/scifact")],
        ...     inference_batch_size=64))  # doctest: +SKIP

    Attributes:
        precision_given: Whether the user chose the precision (else inference stages choose it for the hardware).
    """

    callbacks: list[Callback]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        plugins = kwargs.get("plugins")
        plugin_list = plugins if isinstance(plugins, list | tuple) else [plugins]
        self.precision_given = (
            kwargs.get("precision") is not None
            or bool(os.environ.get("PL_TRAINER_PRECISION"))
            or any(isinstance(plugin, Precision) for plugin in plugin_list)
        )
        super().__init__(*args, **kwargs)

    def save_checkpoint(
        self, filepath: str | Path, weights_only: bool | None = None, storage_options: Any | None = None
    ) -> None:
        """Save a Lightning checkpoint to ``filepath`` and the model in Hugging Face format beside it.

        Args:
            filepath: Where the Lightning checkpoint is written.
            weights_only: Save only the weights in the Lightning checkpoint.
            storage_options: Passed to the ``CheckpointIO`` plugin.
        """
        super().save_checkpoint(filepath, weights_only, storage_options)
        module = self.lightning_module
        directory = self.huggingface_checkpoint_dir(filepath)
        if self.is_global_zero and isinstance(module, LightningIRModule):
            save_huggingface_checkpoint(module, directory)
        self.strategy.barrier("LightningIRTrainer.save_checkpoint")

    def fit(
        self,
        model: LightningModule,
        train_dataloaders: Any = None,
        val_dataloaders: Any = None,
        datamodule: LightningDataModule | None = None,
        ckpt_path: str | Path | None = None,
        weights_only: bool | None = None,
    ) -> None:
        """Fine-tune ``model`` (Lightning's ``fit``) in the precision given, else the hardware's choice (printed)."""
        original_precision = self.strategy.precision_plugin
        self.strategy.precision_plugin = self._inference_precision_plugin("fit", verbose=True)
        try:
            super().fit(model, train_dataloaders, val_dataloaders, datamodule, ckpt_path, weights_only)
        finally:
            self.strategy.precision_plugin = original_precision

    def huggingface_checkpoint_dir(self, checkpoint_path: str | Path) -> Path:
        """Where the Hugging Face copy of the checkpoint at ``checkpoint_path`` goes.

        ``<log dir>/huggingface_checkpoint`` for checkpoints in the default place (``<log dir>/checkpoints``, e.g.
        ``lightning_logs/version_0/huggingface_checkpoint``); beside the checkpoint for a ``ModelCheckpoint`` with an
        explicit ``dirpath``. Every process must call it (the log dir is broadcast).
        """
        folder = Path(checkpoint_path).parent
        log_dir = self.log_dir
        if log_dir is not None and folder.absolute() == (Path(log_dir) / "checkpoints").absolute():
            return Path(log_dir) / HUGGINGFACE_CHECKPOINT_DIR
        return folder / HUGGINGFACE_CHECKPOINT_DIR

    def index(
        self,
        model: LightningModule | None = None,
        dataloaders: EVAL_DATALOADERS | LightningDataModule | None = None,
        ckpt_path: str | None = None,
        verbose: bool = True,
        datamodule: LightningDataModule | None = None,
    ) -> list[dict[str, float]]:
        """Encode the documents of the inference datasets (``DocDataset``) and write the indexes.

        Each :class:`~lightning_ir.callbacks.IndexCallback` among the trainer's callbacks writes one index.

        Args:
            model: A ``BiEncoderModule``.
            dataloaders: Dataloaders of ``DocDataset`` (or a data module).
            ckpt_path: A Lightning checkpoint to load the weights from (see ``Trainer.test``).
            verbose: Print what was indexed and how long it took.
            datamodule: A data module whose ``inference_datasets`` are ``DocDataset`` objects.

        Returns:
            Per index callback: ``{"num_docs": <documents indexed>, "seconds": <time taken>}``.

        Raises:
            ValueError: No ``IndexCallback`` among the trainer's callbacks, or no documents were indexed.
        """
        stage_callbacks = self._run_inference_stage("index", model, dataloaders, ckpt_path, datamodule, verbose)
        callbacks = cast(list[IndexCallback], stage_callbacks)
        for callback in callbacks:
            if callback.num_docs == 0:
                raise ValueError(
                    f"LightningIRTrainer.index: no documents reached IndexCallback({callback.index_dir}); index "
                    "DocDataset datasets (data.inference_datasets)"
                )
        if verbose and self.is_global_zero:
            rows = [
                [str(c.index_dir), str(c.num_docs), f"{c.seconds:.1f}", f"{c.num_docs / max(c.seconds, 1e-9):.1f}"]
                for c in callbacks
            ]
            print(_format_table(["index", "documents", "time (s)", "docs/s"], rows))
        return [{"num_docs": float(c.num_docs), "seconds": c.seconds} for c in callbacks]

    def search(
        self,
        model: LightningModule | None = None,
        dataloaders: EVAL_DATALOADERS | LightningDataModule | None = None,
        ckpt_path: str | None = None,
        verbose: bool = True,
        datamodule: LightningDataModule | None = None,
    ) -> list[dict[str, float]]:
        """Search an index for the queries of the inference datasets (``QueryDataset``) and write the runs.

        The index and search settings come from the :class:`~lightning_ir.callbacks.SearchCallback` among the
        trainer's callbacks, else from the module's ``index_dir`` and ``search_config`` (the runs then go to the
        default place, see :class:`~lightning_ir.callbacks.RankCallback`).

        Args:
            model: A ``BiEncoderModule`` (the one the index was built with).
            dataloaders: Dataloaders of ``QueryDataset`` (or a data module).
            ckpt_path: A Lightning checkpoint to load the weights from.
            verbose: Print the metrics table with the times.
            datamodule: A data module whose ``inference_datasets`` are ``QueryDataset`` objects.

        Returns:
            Per dataloader, the module's ``evaluation_metrics`` over all queries (empty without qrels or metrics).

        Raises:
            ValueError: Nothing to search with.
        """
        return self._rank("search", model, dataloaders, ckpt_path, verbose, datamodule)

    def re_rank(
        self,
        model: LightningModule | None = None,
        dataloaders: EVAL_DATALOADERS | LightningDataModule | None = None,
        ckpt_path: str | None = None,
        verbose: bool = True,
        datamodule: LightningDataModule | None = None,
    ) -> list[dict[str, float]]:
        """Re-score the runs of the inference datasets (``RunDataset``) with the module and write the new runs.

        Runs are written by the :class:`~lightning_ir.callbacks.ReRankCallback` (or ``RankCallback``) among the
        trainer's callbacks, else by a ``ReRankCallback()`` (to ``<log dir>/runs``).

        Args:
            model: Any Lightning IR module (bi-encoder or cross-encoder).
            dataloaders: Dataloaders of ``RunDataset`` (or a data module).
            ckpt_path: A Lightning checkpoint to load the weights from.
            verbose: Print the metrics table with the times.
            datamodule: A data module whose ``inference_datasets`` are ``RunDataset`` objects.

        Returns:
            Per dataloader, the module's ``evaluation_metrics`` over all queries (empty without qrels or metrics).
        """
        return self._rank("re_rank", model, dataloaders, ckpt_path, verbose, datamodule)

    def _rank(
        self,
        stage: str,
        model: LightningModule | None,
        dataloaders: Any,
        ckpt_path: str | None,
        verbose: bool,
        datamodule: LightningDataModule | None,
    ) -> list[dict[str, float]]:
        """Run ``search`` or ``re_rank`` and report the module's summaries."""
        start = time.perf_counter()
        callbacks = self._run_inference_stage(stage, model, dataloaders, ckpt_path, datamodule, verbose)
        writers = cast(list[RankCallback], callbacks)
        module = cast(LightningIRModule, model if model is not None else self.lightning_module)
        summaries = list(module.inference_summaries)
        empty = [summary.dataset for summary in summaries if summary.num_queries == 0]
        if empty or not summaries:
            where = f"in dataset(s) {empty}" if empty else "in the inference datasets"
            raise ValueError(
                f"LightningIRTrainer.{stage}: no queries to {stage.replace('_', '-')} {where}; give "
                f"{STAGES[stage].dataset_kind} datasets with at least one query (data.inference_datasets); no run "
                "file was written for them"
            )
        if verbose and self.is_global_zero:
            runs = {idx: str(path) for writer in writers for idx, path in writer.run_paths.items()}
            print(_summary_table(stage, summaries, runs, time.perf_counter() - start))
        return [dict(summary.metrics) for summary in summaries]

    def _run_inference_stage(
        self,
        name: str,
        model: LightningModule | None,
        dataloaders: Any,
        ckpt_path: str | None,
        datamodule: LightningDataModule | None,
        verbose: bool = False,
    ) -> list[Callback]:
        """Run the test loop as the stage ``name`` of :data:`~lightning_ir.stages.STAGES` and return its callbacks.

        For the duration of the stage, the callbacks other stages own sit out, the stage's default callback is added
        when the trainer has none of its own, a plain progress bar becomes the stage's labelled one, batches of
        the wrong kind are refused, and the precision is the hardware's choice unless the user gave one.
        """
        stage = STAGES[name]
        module = model if model is not None else self.lightning_module
        if not isinstance(module, LightningIRModule):
            raise TypeError(f"LightningIRTrainer.{name} needs a Lightning IR module, got {type(module).__name__}")
        original = list(self.callbacks)
        own = [callback for callback in original if owning_stage(callback) == name]
        if not own:
            default = stage.default_callback(module) if stage.default_callback is not None else None
            if default is None:
                raise ValueError(f"LightningIRTrainer.{name}: {stage.requirement}")
            own = [default]
        kept = [_stage_progress_bar(c, stage) for c in original if owning_stage(c) is None]
        self.callbacks = [*kept, *own, _StageCheck(stage)]
        original_precision = self.strategy.precision_plugin
        self.strategy.precision_plugin = self._inference_precision_plugin(name, verbose)
        try:
            with quiet_console():
                self.test(module, dataloaders, ckpt_path=ckpt_path, verbose=False, datamodule=datamodule)
        finally:
            self.callbacks = original
            self.strategy.precision_plugin = original_precision
        return own

    def _inference_precision_plugin(self, stage: str, verbose: bool) -> Precision:
        """The precision plugin of a stage, fit too: the user's, else the hardware's choice (printed if verbose)."""
        device_type = "cuda" if isinstance(self.accelerator, CUDAAccelerator) else "cpu"
        if self.precision_given:
            plugin = self.strategy.precision_plugin
            reason = "as given"
        elif type(self.strategy.precision_plugin) not in (Precision, MixedPrecision):
            plugin = self.strategy.precision_plugin  # FSDP, DeepSpeed, ...: the strategy accepts only its own plugins
            reason = f"{type(self.strategy).__name__}'s own; pass precision=... to choose"
        else:
            precision = inference_precision(device_type)
            plugin = MixedPrecision(precision, device_type) if precision != "32-true" else Precision()
            reason = f"chosen for {describe_device(device_type)}; pass precision=... to choose"
        if verbose and self.is_global_zero:
            print(f"{stage}: {plugin.precision} precision ({reason})")
        return plugin


def _stage_progress_bar(callback: Callback, stage: Stage) -> Callback:
    """Lightning's default progress bar (TQDM or rich) replaced by one for the stage; other callbacks as they are.

    The replacement is labelled with the stage and counts documents or queries.
    """
    if type(callback) is TQDMProgressBar:
        bar = cast(TQDMProgressBar, callback)
        return LightningIRProgressBar(stage.label, stage.unit, bar.refresh_rate, bar.process_position)
    if type(callback) is RichProgressBar:
        return LightningIRProgressBar(stage.label, stage.unit, int(cast(RichProgressBar, callback).refresh_rate))
    return callback


class _StageCheck(Callback):
    """Refuses batches of the wrong kind for a stage (e.g. queries given to ``index``), naming what was expected."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage

    def on_test_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if not isinstance(batch, self.stage.batch_type):
            raise ValueError(
                f"LightningIRTrainer.{self.stage.name}: dataloader {dataloader_idx} yields {type(batch).__name__} "
                f"batches; {self.stage.name} takes {self.stage.dataset_kind} datasets "
                f"({self.stage.batch_type.__name__} batches)"
            )


def _summary_table(stage: str, summaries: list[InferenceSummary], runs: dict[int, str], seconds: float) -> str:
    """The table ``search``/``re_rank`` print: per dataset, the queries, metrics, time and run file."""
    metrics = sorted({metric for summary in summaries for metric in summary.metrics}, key=_metric_order(summaries))
    header = ["dataset", "queries", *metrics, "time (s)", "run"]
    rows = []
    for idx, summary in enumerate(summaries):
        values = [f"{summary.metrics[m]:.4f}" if m in summary.metrics else "-" for m in metrics]
        rows.append([summary.dataset, str(summary.num_queries), *values, f"{summary.seconds:.1f}", runs.get(idx, "-")])
    title = f"{stage}: {len(summaries)} dataset(s) in {seconds:.1f} s"
    return f"{title}\n{_format_table(header, rows)}"


def _metric_order(summaries: list[InferenceSummary]) -> Any:
    order: dict[str, int] = {}
    for summary in summaries:
        for metric in summary.metrics:
            order.setdefault(metric, len(order))
    return order.__getitem__


def _format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with aligned columns."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def save_huggingface_checkpoint(module: LightningIRModule, directory: str | Path) -> Path:
    """Write ``module``'s model, tokenizer and model card in Hugging Face format to ``directory``, atomically.

    Only a Lightning IR model folder (or an empty folder) is replaced (see
    :func:`~lightning_ir.base.saving.save_model_folder`).

    Raises:
        OverwriteRefusedError: ``directory`` exists and is not a Lightning IR model folder.
    """
    return save_model_folder(module, directory, "Hugging Face checkpoint")
