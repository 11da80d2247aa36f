"""LightningIRTrainer: a Lightning ``Trainer`` that also writes Hugging Face checkpoints and indexes, searches and
re-ranks."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lightning import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.utilities.types import EVAL_DATALOADERS

from .base.evaluation import InferenceSummary
from .base.module import LightningIRModule
from .callbacks import IndexCallback, RankCallback, ReRankCallback, SearchCallback
from .data.batches import IndexBatch, RankBatch, SearchBatch

HUGGINGFACE_CHECKPOINT_DIR = "huggingface_checkpoint"
"""Name of the folder, next to the Lightning checkpoints, that holds the model in Hugging Face format."""


class LightningIRTrainer(Trainer):
    """A Lightning :class:`~lightning.Trainer` for Lightning IR modules; it takes every ``Trainer`` argument.

    ``fit`` fine-tunes a module (see :class:`~lightning_ir.base.module.LightningIRModule`). Every checkpoint the
    trainer saves (by ``ModelCheckpoint`` or :meth:`save_checkpoint`) is also written in Hugging Face format
    (``config.json``, ``model.safetensors``, tokenizer files) to ``<checkpoint folder>/huggingface_checkpoint``,
    which ``BiEncoderModule(path)``, ``CrossEncoderModule(path)`` and ``AutoModel.from_pretrained(path)`` load. The
    folder always holds the model of the most recent checkpoint; it is written to a temporary folder and renamed
    into place, so it is never half-written.

    ``index``, ``search`` and ``re_rank`` run the test loop over the inference datasets with the callbacks of the
    stage (the other stages' callbacks sit out): ``index`` needs an :class:`~lightning_ir.callbacks.IndexCallback`;
    ``search`` a :class:`~lightning_ir.callbacks.SearchCallback` (or a ``BiEncoderModule`` with ``index_dir`` and
    ``search_config``); ``re_rank`` writes runs with the :class:`~lightning_ir.callbacks.ReRankCallback` given, or
    one with default settings. ``search`` and ``re_rank`` print a table of the module's ``evaluation_metrics`` per
    dataset (for datasets with qrels) with the time taken, and return the metrics.

    Example:
        >>> trainer = LightningIRTrainer(max_steps=100)  # doctest: +SKIP
        >>> trainer.fit(module, datamodule)  # doctest: +SKIP
        >>> trainer = LightningIRTrainer(callbacks=[IndexCallback("index", TorchDenseIndexConfig())])  # doctest: +SKIP
        >>> trainer.index(module, LightningIRDataModule(inference_datasets=[DocDataset("beir/scifact")],
        ...     inference_batch_size=64))  # doctest: +SKIP
    """

    callbacks: list[Callback]

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
        if self.is_global_zero and isinstance(module, LightningIRModule):
            save_huggingface_checkpoint(module, Path(filepath).parent / HUGGINGFACE_CHECKPOINT_DIR)
        self.strategy.barrier("LightningIRTrainer.save_checkpoint")

    def index(
        self,
        model: LightningModule | None = None,
        dataloaders: EVAL_DATALOADERS | LightningDataModule | None = None,
        ckpt_path: str | None = None,
        verbose: bool = True,
        datamodule: LightningDataModule | None = None,
    ) -> list[dict[str, float]]:
        """Encode the documents of the inference datasets (``DocDataset``) and write the index of every
        :class:`~lightning_ir.callbacks.IndexCallback` among the trainer's callbacks.

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
        callbacks = [callback for callback in self.callbacks if isinstance(callback, IndexCallback)]
        if not callbacks:
            raise ValueError(
                "LightningIRTrainer.index: add IndexCallback(index_dir, index_config) to the trainer's callbacks "
                "(trainer.callbacks in a YAML recipe)"
            )
        with self._stage_callbacks(drop=(RankCallback,), add=[_StageCheck("index")]):
            self.test(model, dataloaders, ckpt_path=ckpt_path, verbose=False, datamodule=datamodule)
        for callback in callbacks:
            if callback.num_docs == 0:
                raise ValueError(
                    f"LightningIRTrainer.index: no documents reached IndexCallback({callback.index_dir}); index "
                    "DocDataset datasets (data.inference_datasets)"
                )
        if verbose and self.is_global_zero:
            rows = [[str(c.index_dir), str(c.num_docs), f"{c.seconds:.1f}", f"{c.num_docs / max(c.seconds, 1e-9):.1f}"]
                    for c in callbacks]
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
        trainer's callbacks, else from the module's ``index_dir`` and ``search_config`` (the runs then go to
        ``<log dir>/runs``).

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
        module = model if model is not None else self.lightning_module
        add: list[Callback] = []
        if not any(isinstance(callback, SearchCallback) for callback in self.callbacks):
            index_dir, search_config = getattr(module, "index_dir", None), getattr(module, "search_config", None)
            if index_dir is None or search_config is None:
                raise ValueError(
                    "LightningIRTrainer.search: add SearchCallback(index_dir, search_config) to the trainer's "
                    "callbacks, or pass index_dir and search_config to the BiEncoderModule"
                )
            add.append(SearchCallback(index_dir, search_config))
        return self._rank("search", module, dataloaders, ckpt_path, verbose, datamodule, add, SearchCallback)

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
        module = model if model is not None else self.lightning_module
        has_writer = any(
            isinstance(callback, RankCallback) and not isinstance(callback, SearchCallback)
            for callback in self.callbacks
        )
        add: list[Callback] = [] if has_writer else [ReRankCallback()]
        return self._rank("re_rank", module, dataloaders, ckpt_path, verbose, datamodule, add, RankCallback)

    def _rank(
        self,
        stage: str,
        module: LightningModule | None,
        dataloaders: Any,
        ckpt_path: str | None,
        verbose: bool,
        datamodule: LightningDataModule | None,
        add: list[Callback],
        writer_type: type[RankCallback],
    ) -> list[dict[str, float]]:
        """Run the test loop for ``search`` or ``re_rank`` and report the module's summaries."""
        if not isinstance(module, LightningIRModule):
            raise TypeError(f"LightningIRTrainer.{stage} needs a Lightning IR module, got {type(module).__name__}")
        drop: tuple[type[Callback], ...] = (IndexCallback, ReRankCallback)
        if stage == "re_rank":
            drop = (IndexCallback, SearchCallback)
        start = time.perf_counter()
        with self._stage_callbacks(drop=drop, add=[*add, _StageCheck(stage)]):
            self.test(module, dataloaders, ckpt_path=ckpt_path, verbose=False, datamodule=datamodule)
            writers = [callback for callback in self.callbacks if isinstance(callback, writer_type)]
        summaries = list(module.inference_summaries)
        if verbose and self.is_global_zero:
            runs = {idx: str(path) for writer in writers for idx, path in writer.run_paths.items()}
            print(_summary_table(stage, summaries, runs, time.perf_counter() - start))
        return [dict(summary.metrics) for summary in summaries]

    @contextmanager
    def _stage_callbacks(
        self, drop: tuple[type[Callback], ...] = (), add: list[Callback] | None = None
    ) -> Iterator[None]:
        """For the duration of a stage, leave out the callbacks of the types ``drop`` (other stages' callbacks) and
        add ``add``; the trainer's callbacks are restored afterwards."""
        original = list(self.callbacks)
        self.callbacks = [callback for callback in original if not isinstance(callback, drop)] + list(add or [])
        try:
            yield
        finally:
            self.callbacks = original


class _StageCheck(Callback):
    """Refuses batches of the wrong kind for a stage (e.g. queries given to ``index``), naming what was expected."""

    STAGES: dict[str, tuple[type, str]] = {
        "index": (IndexBatch, "DocDataset"),
        "search": (SearchBatch, "QueryDataset"),
        "re_rank": (RankBatch, "RunDataset"),
    }

    def __init__(self, stage: str) -> None:
        self.stage = stage

    def on_test_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        batch_type, dataset_type = self.STAGES[self.stage]
        if not isinstance(batch, batch_type):
            raise ValueError(
                f"LightningIRTrainer.{self.stage}: dataloader {dataloader_idx} yields {type(batch).__name__} batches; "
                f"{self.stage} takes {dataset_type} datasets ({batch_type.__name__} batches)"
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
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def save_huggingface_checkpoint(module: LightningIRModule, directory: str | Path) -> Path:
    """Write ``module``'s model and tokenizer in Hugging Face format to ``directory``, replacing it atomically.

    The files go to a temporary sibling folder first, which is then renamed to ``directory`` (a previous folder is
    moved aside and deleted only after the new one is in place).

    Args:
        module: The module to save.
        directory: The target folder.

    Returns:
        ``directory``.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    temporary = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
    previous = directory.with_name(f".{directory.name}.old-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    module.save_pretrained(temporary)
    if directory.exists():
        directory.rename(previous)
    temporary.rename(directory)
    shutil.rmtree(previous, ignore_errors=True)
    return directory
