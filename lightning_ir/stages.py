"""The inference stages of :class:`~lightning_ir.trainer.LightningIRTrainer`, one row each.

The trainer's stage methods, their batch check, the command line's subcommands and the progress bar's label all read
:data:`STAGES`; adding a stage is adding a row (and a trainer method of the same name that calls ``run_stage``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lightning import Callback, LightningModule

from .callbacks import IndexCallback, RankCallback, ReRankCallback, SearchCallback
from .data.batches import IndexBatch, RankBatch, SearchBatch


@dataclass(frozen=True)
class Stage:
    """One inference stage.

    Attributes:
        name: The trainer method and CLI subcommand (``"index"``).
        batch_type: The batches the stage takes; any other batch is refused naming :attr:`dataset_kind`.
        dataset_kind: The dataset class that yields them (for messages).
        callbacks: The callback types the stage owns: they take part only in this stage (a callback belongs to the
            stage owning the closest class in its type's MRO).
        default_callback: Builds the stage's callback from the module when the trainer has none of
            :attr:`callbacks` (it may return None when the module cannot provide one).
        requirement: What the user must provide when there is no callback (for the error message).
        label: Progress-bar label (``"Indexing"``).
        unit: What the progress bar counts (``"docs"``).
    """

    name: str
    batch_type: type
    dataset_kind: str
    callbacks: tuple[type[Callback], ...]
    default_callback: Callable[[LightningModule], Callback | None] | None
    requirement: str
    label: str
    unit: str


def _module_search_callback(module: LightningModule) -> Callback | None:
    """A ``SearchCallback`` from the module's ``index_dir`` and ``search_config``, when it has both."""
    index_dir, search_config = getattr(module, "index_dir", None), getattr(module, "search_config", None)
    if index_dir is None or search_config is None:
        return None
    return SearchCallback(index_dir, search_config)


STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        Stage(
            "index",
            IndexBatch,
            "DocDataset",
            (IndexCallback,),
            None,
            "add IndexCallback(index_dir, index_config) to the trainer's callbacks (trainer.callbacks in YAML)",
            "Indexing",
            "docs",
        ),
        Stage(
            "search",
            SearchBatch,
            "QueryDataset",
            (SearchCallback,),
            _module_search_callback,
            "add SearchCallback(index_dir, search_config) to the trainer's callbacks, or pass index_dir and "
            "search_config to the BiEncoderModule",
            "Searching",
            "queries",
        ),
        Stage(
            "re_rank",
            RankBatch,
            "RunDataset",
            (ReRankCallback, RankCallback),
            lambda module: ReRankCallback(),
            "add ReRankCallback() to the trainer's callbacks",
            "Re-ranking",
            "queries",
        ),
    )
}
"""Every inference stage by name, in pipeline order."""


def owning_stage(callback: Callback) -> str | None:
    """The stage that owns ``callback`` (the one owning the closest class in its MRO), or None for other callbacks."""
    for cls in type(callback).__mro__:
        for stage in STAGES.values():
            if cls in stage.callbacks:
                return stage.name
    return None
