"""The re-ranking bar counts queries once, also when length bucketing spreads a query's documents over batches."""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

from lightning_ir.callbacks.progress_bar import LightningIRProgressBar
from lightning_ir.data import IndexBatch, RankBatch


def _end(bar: LightningIRProgressBar, batch: Any, batch_idx: int) -> int:
    bar.on_test_batch_end(None, None, None, batch, batch_idx)  # type: ignore[arg-type]
    return bar._items


def test_queries_spread_over_batches_count_once() -> None:
    bar = LightningIRProgressBar("Re-ranking", "queries")
    bar._test_progress_bar = Tqdm(disable=True)
    first = RankBatch(queries=["a", "b"], docs=[["x"], ["y"]], query_ids=["qa", "qb"], positions=[0, 1])
    second = RankBatch(queries=["a", "c"], docs=[["z"], ["w"]], query_ids=["qa", "qc"], positions=[0, 2])
    assert _end(bar, first, 0) == 2
    assert _end(bar, second, 1) == 3
    documents = LightningIRProgressBar("Indexing", "docs")
    documents._test_progress_bar = Tqdm(disable=True)
    assert _end(documents, IndexBatch(doc_ids=["d1", "d2"], docs=["x", "y"], positions=[5, 1]), 0) == 2
    assert _end(documents, IndexBatch(doc_ids=["d3"], docs=["z"], positions=[0]), 1) == 3
