"""What every stage of a :class:`~lightning_ir.experiment.pipeline.Pipeline` shares: datasets, folders, trainer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lightning import Callback

from ..data.run_names import TREC_RUN_SUFFIXES
from ..trainer import LightningIRTrainer

RUN_SUFFIX = ".run"
"""Suffix of the run files a pipeline writes (``runs/<stage name>.run``)."""


@dataclass
class StageRun:
    """What a stage produced: its run file and how long its steps took.

    Attributes:
        path: The run file written.
        seconds: Wall-clock seconds per step (``"bm25-index"``, ``"bm25-search"``, ``"re-ranked"``, ...).
    """

    path: Path
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class PipelineContext:
    """The datasets and folders of one pipeline run.

    Attributes:
        query_dataset: The queries (an ir_datasets id, a registered local collection or a folder); also the
            collection that gives a run's query and document texts when it is re-ranked.
        doc_dataset: The documents to index (None when every first stage searches an existing index).
        runs_dir: Folder of the run files.
        trainer_kwargs: Keyword arguments of every ``LightningIRTrainer`` the stages create.
    """

    query_dataset: str
    doc_dataset: str | None
    runs_dir: Path
    trainer_kwargs: dict[str, Any]

    def run_path(self, name: str) -> Path:
        """The run file of the stage ``name``: ``<runs_dir>/<name>.run``."""
        return self.runs_dir / f"{name}{RUN_SUFFIX}"

    def trainer(self, callbacks: Sequence[Callback]) -> LightningIRTrainer:
        """A trainer with the pipeline's settings and ``callbacks``."""
        return LightningIRTrainer(callbacks=list(callbacks), **self.trainer_kwargs)

    def require_doc_dataset(self, stage: str) -> str:
        """The documents to index, or a ``ValueError`` saying that the stage ``stage`` needs them."""
        if self.doc_dataset is None:
            raise ValueError(f"Pipeline: stage '{stage}' builds its index and needs doc_dataset (the documents)")
        return self.doc_dataset


def check_stage_name(name: str) -> str:
    """Refuses a stage name that cannot name a run file (``runs/<name>.run``).

    Raises:
        ValueError: Empty, with a folder separator or whitespace, starting with a dot, or with a run-file suffix.
    """
    if (
        not isinstance(name, str)
        or not name
        or len(name.split()) != 1
        or name != name.strip()
        or "/" in name
        or "\\" in name
        or name.startswith(".")
        or Path(name).suffix in TREC_RUN_SUFFIXES
    ):
        raise ValueError(
            f"Pipeline: stage name {name!r} must be a plain file name without whitespace, folders or run suffix "
            "(the run is written to runs/<name>.run)"
        )
    return name
