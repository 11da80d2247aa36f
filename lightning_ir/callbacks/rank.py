"""RankCallback: writes the rankings of a test/inference run as TREC run files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning import Callback, LightningModule, Trainer

from ..atomic import check_replaceable
from ..base.module import LightningIRModule
from ..data.run_file import is_run_file, write_run
from ..data.run_names import check_run_name, named_run_file, run_file_name, run_tag
from .places import default_output_dir
from .run_report import RunReport


class RankCallback(Callback):
    """Writes the rankings of a Lightning IR module's test loop as TREC run files, one per dataset, atomically.

    The test loop is ``trainer.search``, ``trainer.re_rank`` or ``trainer.test``; a run file's lines are
    ``query_id Q0 doc_id rank score tag``.

    The rankings are the module's: its steps return them in their outputs and it gathers them over all processes
    into ``inference_summaries`` at the end of the run (the same rankings its metrics are computed on); process 0
    writes them when the run ends. The tag (last column) is the model's name. An existing file is only replaced when
    it is a run file; that is checked when the run starts, before any work.

    Args:
        save_dir: Folder of the run files; default ``<model dir>/runs`` for a model loaded from a local folder, else
            ``<trainer log dir>/runs`` (see :mod:`lightning_ir.callbacks.places`).
        run_name: File name of the run (``.run`` is appended unless it ends with ``.run``, ``.trec``, ``.txt`` or
            ``.tsv``); with several dataloaders, the dataloader index is added before the suffix. Default: the
            dataset's name with ``/`` written as ``__`` (``beir/scifact/test`` -> ``beir__scifact__test.run``),
            which ``RunDataset`` maps back to the collection.
        report_dir: Folder of an experiment report (``report.md``, ``report.csv``, PNG plots; see
            :func:`lightning_ir.experiment.evaluate_runs`) on each run written for a dataset with qrels; with several
            datasets, one sub-folder per run, named like the run file without its suffix. Default: no report.
        report_metrics: ir_measures measures of the report; default the module's ``evaluation_metrics``, else
            ``nDCG@10`` and ``R@100``.
        report_baseline: A run file that the report compares each written run with (paired significance tests,
            per-query differences), e.g. the first-stage run being re-ranked. Default: the run is reported alone.

    Attributes:
        run_paths: The files written by the last run, by dataloader index.
        report_paths: The report folders written by the last run, by dataloader index.
    """

    def __init__(
        self,
        save_dir: str | Path | None = None,
        run_name: str | None = None,
        report_dir: str | Path | None = None,
        report_metrics: list[str] | None = None,
        report_baseline: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.save_dir = None if save_dir is None else Path(save_dir)
        self.run_name = check_run_name(type(self).__name__, run_name)
        self.report = RunReport(type(self).__name__, report_dir, report_metrics, report_baseline)
        self.run_paths: dict[int, Path] = {}
        self.report_paths: dict[int, Path] = {}

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Check, before any work, that the run files may be written and that none is a run being re-ranked.

        An existing file may only be written over when it is a run file.
        """
        module = _lightning_ir_module(type(self).__name__, pl_module)
        self.run_paths = {}
        self.report_paths = {}
        names = module.inference_dataset_names()
        if not trainer.is_global_zero:
            return
        loaders = trainer.test_dataloaders
        loader_list = loaders if isinstance(loaders, list) else [loaders]
        paths = [self._run_path(trainer, names, dataloader_idx) for dataloader_idx in range(len(names))]
        for dataloader_idx, path in enumerate(paths):
            check_replaceable(path, is_run_file, "run file", directory=False)
            self._check_not_input(path, getattr(loader_list[dataloader_idx], "dataset", None))
        self.report.check(paths)

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Write one run file per dataset with rankings (process 0), from the module's gathered summaries.

        Every run file is written before the first report, so a report that fails loses no run.
        """
        module = _lightning_ir_module(type(self).__name__, pl_module)
        names = {index: summary.dataset for index, summary in enumerate(module.inference_summaries)}
        tag = run_tag(module.config.name_or_path)
        for dataloader_idx, summary in enumerate(module.inference_summaries):
            if not summary.run:
                continue
            path = self._run_path(trainer, names, dataloader_idx)
            if trainer.is_global_zero:
                query_ids = list(summary.run)
                doc_ids = [list(summary.run[query_id]) for query_id in query_ids]
                scores = [list(summary.run[query_id].values()) for query_id in query_ids]
                write_run(path, query_ids, doc_ids, scores, tag=tag)
            self.run_paths[dataloader_idx] = path
        if not trainer.is_global_zero:
            return
        for dataloader_idx, path in self.run_paths.items():
            summary = module.inference_summaries[dataloader_idx]
            folder = self.report.write(path, tag, summary.qrels, summary.dataset, module.evaluation_metrics, len(names))
            if folder is not None:
                self.report_paths[dataloader_idx] = folder

    def _run_path(self, trainer: Trainer, names: dict[int, str], dataloader_idx: int) -> Path:
        save_dir = self.save_dir
        if save_dir is None:
            save_dir = default_output_dir(trainer, trainer.lightning_module, "runs")
        if self.run_name is None:
            return save_dir / run_file_name(names[dataloader_idx])
        return save_dir / named_run_file(self.run_name, dataloader_idx if len(names) > 1 else None)

    def _check_not_input(self, path: Path, dataset: Any) -> None:
        """Refuse to overwrite the run file being re-ranked."""
        source = getattr(dataset, "run_path_or_id", None)
        if source is not None and Path(source).is_file() and Path(source).resolve() == path.resolve():
            raise ValueError(
                f"{type(self).__name__}: the output run {path} is the run being re-ranked; set save_dir or run_name"
            )


def _lightning_ir_module(owner: str, pl_module: LightningModule) -> LightningIRModule:
    if not isinstance(pl_module, LightningIRModule):
        raise TypeError(f"{owner} works with Lightning IR modules, got {type(pl_module).__name__}")
    return pl_module
