"""RankCallback: writes the rankings of a test/inference run as TREC run files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lightning import Callback, LightningModule, Trainer

from ..atomic import check_replaceable
from ..data.batches import RankBatch, SearchBatch
from ..data.run_file import is_run_file, write_run
from .utils import check_lightning_ir_module, default_save_dir, file_name, gather_objects, run_tag

RUN_SUFFIXES = (".run", ".txt", ".tsv", ".trec")

Ranking = tuple[list[str], list[float]]


class RankCallback(Callback):
    """Writes the rankings a Lightning IR module produces in the test loop (``trainer.search``,
    ``trainer.re_rank`` or ``trainer.test``) as TREC run files (``query_id Q0 doc_id rank score tag``), one per
    dataloader, atomically (a temporary file renamed into place).

    Each query's documents are ranked by the module's scores (``outputs.scores``, flattened like
    ``batch.doc_ids``). Under DDP the rankings of all processes are gathered and process 0 writes the files.
    The tag (last column) is the model's name.

    Args:
        save_dir: Folder of the run files; default ``<trainer log dir>/runs`` (the trainer's ``default_root_dir``
            when there is no logger).
        run_name: File name of the run (``.run`` is appended unless it ends with ``.run``, ``.txt``, ``.tsv`` or
            ``.trec``); with several dataloaders, the dataloader index is added before the suffix. Default: the
            dataset's name with ``/`` written as ``__`` (``beir/scifact/test`` -> ``beir__scifact__test.run``),
            which ``RunDataset`` maps back to the collection.

    Attributes:
        run_paths: The files written by the last run, by dataloader index.
    """

    batch_types: ClassVar[tuple[type, ...]] = (RankBatch, SearchBatch)
    """The batches whose rankings are written."""

    def __init__(self, save_dir: str | Path | None = None, run_name: str | None = None) -> None:
        super().__init__()
        if run_name is not None and (not run_name.strip() or "/" in run_name):
            raise ValueError(f"{type(self).__name__}: run_name {run_name!r} must be a file name (no folders)")
        self.save_dir = None if save_dir is None else Path(save_dir)
        self.run_name = run_name
        self.run_paths: dict[int, Path] = {}
        self._rankings: dict[int, dict[str, Ranking]] = {}

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Check, before any work, that the run files may be written (an existing file is replaced only when it is
        a run file)."""
        module = check_lightning_ir_module(type(self).__name__, pl_module)
        self._rankings = {}
        self.run_paths = {}
        names = module.inference_dataset_names()
        if trainer.is_global_zero:
            for dataloader_idx in range(len(names)):
                check_replaceable(self._run_path(trainer, names, dataloader_idx), is_run_file, "run file", False)

    def on_test_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """Keep the batch's rankings (for batches of :attr:`batch_types`)."""
        if not isinstance(batch, self.batch_types):
            return
        scores = getattr(outputs, "scores", None)
        query_ids, doc_ids = getattr(batch, "query_ids", None), getattr(batch, "doc_ids", None)
        if scores is None or query_ids is None or doc_ids is None:
            raise ValueError(
                f"{type(self).__name__}: a {type(batch).__name__} produced no scores or has no query/doc ids; "
                "cannot write a run"
            )
        flat = scores.detach().float().cpu().view(-1).tolist()
        total = sum(len(ids) for ids in doc_ids)
        if len(flat) != total:
            raise ValueError(f"{type(self).__name__}: {len(flat)} scores for {total} documents in the batch")
        rankings = self._rankings.setdefault(dataloader_idx, {})
        position = 0
        for query_id, query_doc_ids in zip(query_ids, doc_ids, strict=True):
            rankings[str(query_id)] = (
                [str(doc_id) for doc_id in query_doc_ids],
                flat[position : position + len(query_doc_ids)],
            )
            position += len(query_doc_ids)

    def on_test_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Gather the rankings of all processes and write one run file per dataloader (process 0)."""
        module = check_lightning_ir_module(type(self).__name__, pl_module)
        names = module.inference_dataset_names()
        loaders = trainer.test_dataloaders
        loader_list = loaders if isinstance(loaders, list) else [loaders]
        for dataloader_idx in range(len(names)):
            parts = gather_objects(self._rankings.get(dataloader_idx, {}))
            rankings: dict[str, Ranking] = {}
            for part in parts:
                rankings.update(part)
            if not rankings:
                continue
            path = self._run_path(trainer, names, dataloader_idx)
            self._check_not_input(path, getattr(loader_list[dataloader_idx], "dataset", None))
            if trainer.is_global_zero:
                query_ids = list(rankings)
                write_run(
                    path,
                    query_ids,
                    [rankings[query_id][0] for query_id in query_ids],
                    [rankings[query_id][1] for query_id in query_ids],
                    tag=run_tag(pl_module),
                )
            self.run_paths[dataloader_idx] = path
        self._rankings = {}

    def _run_path(self, trainer: Trainer, names: dict[int, str], dataloader_idx: int) -> Path:
        save_dir = self.save_dir if self.save_dir is not None else default_save_dir(trainer)
        if self.run_name is None:
            return save_dir / f"{file_name(names[dataloader_idx])}.run"
        stem, suffix = self.run_name, ".run"
        if Path(self.run_name).suffix in RUN_SUFFIXES:
            stem, suffix = self.run_name[: -len(Path(self.run_name).suffix)], Path(self.run_name).suffix
        if len(names) > 1:
            stem = f"{stem}_{dataloader_idx}"
        return save_dir / f"{stem}{suffix}"

    def _check_not_input(self, path: Path, dataset: Any) -> None:
        """Refuse to overwrite the run file being re-ranked."""
        source = getattr(dataset, "run_path_or_id", None)
        if source is not None and Path(source).is_file() and Path(source).resolve() == path.resolve():
            raise ValueError(
                f"{type(self).__name__}: the output run {path} is the run being re-ranked; set save_dir or run_name"
            )
