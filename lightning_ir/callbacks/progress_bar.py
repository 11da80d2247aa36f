"""LightningIRProgressBar: the progress bar of the inference stages, labelled with the stage and counting items."""

from __future__ import annotations

import math
import sys
from typing import Any

from lightning import LightningModule, Trainer
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

from ..data.batches import RankBatch


class LightningIRProgressBar(TQDMProgressBar):
    """A TQDM progress bar whose test-loop bar names the stage and the dataset and counts documents or queries.

    The test-loop bar reads e.g. ``Indexing beir/scifact`` and counts ``docs/s`` or ``queries/s`` instead of batches;
    the training and validation bars are Lightning's.

    Args:
        label: What the stage is doing, e.g. ``"Indexing"``.
        unit: What is counted, e.g. ``"docs"``.
        refresh_rate: Update the bar every this many batches.
        process_position: Line offset of the bars (several trainers in one process).
    """

    def __init__(self, label: str = "Testing", unit: str = "queries", refresh_rate: int = 1, process_position: int = 0):
        super().__init__(refresh_rate=refresh_rate, process_position=process_position)
        self.label = label
        self.unit = unit
        self._items = 0
        self._queries_seen: set[int] = set()

    def init_test_tqdm(self) -> Tqdm:
        """The test bar, labelled with the stage and counting :attr:`unit` from the start."""
        return Tqdm(
            desc=self.label,
            unit=self.unit,
            position=2 * self.process_position,
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stdout,
            bar_format=self.BAR_FORMAT,
        )

    def on_test_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        """Start the bar of a new dataset: its name, its number of items and the unit."""
        if not self.has_dataloader_changed(dataloader_idx):
            return
        bar = self.test_progress_bar
        bar.reset()
        bar.total = _dataset_items(trainer, dataloader_idx)
        bar.initial = 0
        bar.unit = self.unit
        names = getattr(pl_module, "inference_dataset_names", None)
        name = names().get(dataloader_idx, "") if callable(names) else ""
        bar.set_description(f"{self.label} {name}".strip())
        self._items = 0
        self._queries_seen = set()

    def on_test_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """Advance the bar by the batch's documents (index) or queries (search, re-rank).

        A length-bucketed re-ranking batch may hold some documents of a query whose other documents come in other
        batches: a query counts once, by its position in the dataset (``batch.positions``).
        """
        positions = getattr(batch, "positions", None)
        if positions is not None and isinstance(batch, RankBatch):
            self._queries_seen.update(positions)
            self._items = len(self._queries_seen)
        else:
            self._items += _batch_items(batch)
        bar = self.test_progress_bar
        last = bar is not None and bar.total is not None and self._items >= bar.total
        if bar is not None and not bar.disable and ((batch_idx + 1) % self.refresh_rate == 0 or last):
            bar.n = self._items
            bar.refresh()


def _batch_items(batch: Any) -> int:
    """Queries of a search or re-rank batch, documents of an index batch, else 1."""
    for name in ("query_ids", "doc_ids", "queries", "docs"):
        items = getattr(batch, name, None)
        if items is not None:
            return len(items)
    return 1


def _dataset_items(trainer: Trainer, dataloader_idx: int) -> float | None:
    """Items this process will see in the dataloader (the dataset's length split over the processes), if known."""
    loaders = trainer.test_dataloaders
    loader = loaders[dataloader_idx] if isinstance(loaders, list) else loaders
    try:
        length = len(loader.dataset)  # type: ignore[union-attr,arg-type]
    except (TypeError, AttributeError):
        return None
    return math.ceil(length / max(1, trainer.world_size))
