"""Iterable datasets split work across DataLoader workers and distributed ranks: every item exactly once."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from torch.utils.data import DataLoader

from lightning_ir.data import DocDataset, IndexBatch, LightningIRCollator, QueryDataset
from lightning_ir.data.ir_datasets_utils import register_local
from lightning_ir.data.sharding import buffered_shuffle, distributed_rank, shard_position

from .conftest import unique_id, write


@pytest.fixture(scope="module")
def collection_101(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("c101")
    docs = write(folder / "docs.tsv", "".join(f"doc{i}\ttext {i}\n" for i in range(101)))
    queries = write(folder / "queries.tsv", "".join(f"q{i}\tquery {i}\n" for i in range(11)))
    return register_local(unique_id("lir-101"), docs=docs, queries=queries)


def test_two_workers_times_two_ranks_yield_every_document_once(
    collection_101: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = DocDataset(collection_101)
    per_rank: list[list[str]] = []
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        assert distributed_rank() == (rank, 2)
        assert shard_position() == (rank, 2)
        loader = DataLoader(dataset, batch_size=8, num_workers=2, collate_fn=LightningIRCollator())
        batches = list(loader)
        assert all(isinstance(batch, IndexBatch) for batch in batches)
        per_rank.append([doc_id for batch in batches for doc_id in batch.doc_ids])
        assert len(dataset) == len(per_rank[-1])  # __len__ is this rank's share
    assert [len(ids) for ids in per_rank] == [51, 50]
    counts = Counter(per_rank[0] + per_rank[1])
    assert set(counts) == {f"doc{i}" for i in range(101)}
    assert set(counts.values()) == {1}
    assert per_rank[0][:2] == ["doc0", "doc4"]  # rank 0, worker 0 takes items 0, 4, 8, ...


def test_queries_are_sharded_too(collection_101: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        loader = DataLoader(QueryDataset(collection_101), batch_size=3, num_workers=2, collate_fn=LightningIRCollator())
        seen += [query_id for batch in loader for query_id in batch.query_ids]
    assert sorted(seen) == sorted(f"q{i}" for i in range(11))


def test_single_process_reads_everything(collection_101: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed_rank() == (0, 1)
    dataset = DocDataset(collection_101, num_docs=10)
    assert [s.doc_id for s in dataset] == [f"doc{i}" for i in range(10)]
    assert len(dataset) == 10


def test_buffered_shuffle() -> None:
    items = list(range(50))
    assert list(buffered_shuffle(items, 1, random.Random(0))) == items
    small = list(buffered_shuffle(items, 4, random.Random(0)))
    assert sorted(small) == items
    assert small != items
    # an item leaves the buffer no earlier than 3 places before its own position, since the buffer holds 4
    assert all(position >= item - 3 for position, item in enumerate(small))
    assert sorted(buffered_shuffle(items, 100, random.Random(1))) == items
    assert list(buffered_shuffle([], 3, random.Random(0))) == []
