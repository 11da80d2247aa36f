"""Length bucketing: every item exactly once with its own id, little padding, exact batch counts, DDP sharding."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch

from lightning_ir.data import DocDataset, IndexBatch, LightningIRDataModule, QueryDataset, RankBatch, RunDataset
from lightning_ir.data.bucketing import LengthBucketedDataset, length_sorted_batches
from lightning_ir.data.ir_datasets_utils import register_local

from .conftest import unique_id, write

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def _text(i: int) -> str:
    """A text whose length varies widely with ``i`` (1 to 40 words)."""
    return " ".join(WORDS[(i + j) % 5] for j in range(1 + (i * 7) % 40))


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("bucketing")
    docs = write(folder / "docs.tsv", "".join(f"doc{i}\t{_text(i)}\n" for i in range(53)))
    queries = write(folder / "queries.tsv", "".join(f"q{i}\t{_text(3 * i)}\n" for i in range(13)))
    run = "".join(
        f"q{q} Q0 doc{(q * 5 + r) % 53} {r + 1} {10.0 - r} bm25\n" for q in range(13) for r in range(1 + q % 6)
    )
    scoreddocs = write(folder / "run.run", run)
    return register_local(unique_id("lir-bucket"), docs=docs, queries=queries, scoreddocs=scoreddocs)


def _loader(dataset: object, batch_size: int, num_workers: int = 0, bucketing: bool = True, window: int = 2) -> Any:
    data = LightningIRDataModule(
        inference_datasets=[dataset],  # type: ignore[list-item]
        inference_batch_size=batch_size,
        num_workers=num_workers,
        length_bucketing=bucketing,
        bucket_window=window,
    )
    (loader,) = data.inference_dataloader()
    return loader


def test_length_sorted_batches_cover_every_index_once_longest_first() -> None:
    lengths = [5, 50, 7, 49, 6, 51, 8]
    batches = length_sorted_batches(lengths, num_batches=3)
    assert sorted(index for batch in batches for index in batch) == list(range(7))
    assert [sorted(lengths[i] for i in batch) for batch in batches] == [[49, 50, 51], [7, 8], [5, 6]]
    assert length_sorted_batches([1, 2], num_batches=5) == [[1], [0]]
    batches = length_sorted_batches(lengths, batch_size=2)
    assert [sorted(lengths[i] for i in batch) for batch in batches] == [[50, 51], [8, 49], [6, 7], [5]]
    assert batches[0] == [1, 5]  # ascending index order within a batch


@pytest.mark.parametrize("num_workers", [0, 2])
def test_documents_come_once_each_with_their_own_id_and_position(collection: str, num_workers: int) -> None:
    dataset = DocDataset(collection)
    texts = {sample.doc_id: sample.doc for sample in dataset}
    order = list(texts)
    loader = _loader(dataset, batch_size=4, num_workers=num_workers)
    batches = list(loader)
    assert len(loader) == len(batches)  # Lightning takes exactly len(loader) batches
    assert all(isinstance(batch, IndexBatch) for batch in batches)
    seen = [item for b in batches for item in zip(b.doc_ids, b.docs, b.positions, strict=True)]
    assert Counter(doc_id for doc_id, _, _ in seen) == Counter(order)
    assert all(texts[doc_id] == doc and order[position] == doc_id for doc_id, doc, position in seen)


def test_bucketing_cuts_padding(collection: str) -> None:
    def padding(bucketing: bool) -> int:
        batches = list(_loader(DocDataset(collection), batch_size=4, bucketing=bucketing, window=100))
        return sum(max(map(len, batch.docs)) * len(batch.docs) - sum(map(len, batch.docs)) for batch in batches)

    assert padding(bucketing=True) < padding(bucketing=False) / 3


@pytest.mark.parametrize("num_workers", [0, 2])
def test_ranks_and_workers_share_the_items_exactly(
    collection: str, num_workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [sample.doc_id for sample in DocDataset(collection)]
    seen: list[str] = []
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        loader = _loader(DocDataset(collection), batch_size=3, num_workers=num_workers)
        batches = list(loader)
        assert len(loader) == len(batches)
        assert len(loader.dataset) == sum(len(batch.doc_ids) for batch in batches)  # this rank's share
        for batch in batches:
            assert [docs[position] for position in batch.positions] == batch.doc_ids
            assert all(position % 2 == rank for position in batch.positions)
        seen += [doc_id for batch in batches for doc_id in batch.doc_ids]
    assert Counter(seen) == Counter(docs)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_rerank_pairs_come_once_each_grouped_by_query(collection: str, num_workers: int) -> None:
    dataset = RunDataset(collection, targets="rank")
    expected = {
        (dataset[i].query_id, doc_id, float(target))
        for i in range(len(dataset))
        for doc_id, target in zip(dataset[i].doc_ids, dataset[i].targets, strict=True)  # type: ignore[arg-type]
    }
    loader = _loader(dataset, batch_size=2, num_workers=num_workers)
    batches = list(loader)
    assert len(loader) == len(batches) == 7  # as many batches as without bucketing: ceil(13 / 2)
    seen = []
    for batch in batches:
        assert isinstance(batch, RankBatch)
        assert batch.query_ids is not None
        assert batch.doc_ids is not None
        assert len(set(batch.query_ids)) == len(batch.query_ids)  # one group per query in a batch
        targets = iter(batch.targets.tolist())  # type: ignore[attr-defined]
        for query_id, doc_ids, position in zip(batch.query_ids, batch.doc_ids, batch.positions, strict=True):
            assert dataset[position].query_id == query_id
            original = list(dataset[position].doc_ids)
            assert [original.index(doc_id) for doc_id in doc_ids] == sorted(original.index(d) for d in doc_ids)
            seen += [(query_id, doc_id, next(targets)) for doc_id in doc_ids]
    assert len(seen) == len(expected)
    assert set(seen) == expected
    if num_workers == 0:  # windows of 2 batches (4 queries) share their pairs equally
        sizes = [sum(len(ids) for ids in batch.doc_ids) for batch in batches]  # type: ignore[union-attr]
        assert all(abs(sizes[i] - sizes[i + 1]) <= 1 for i in range(0, 6, 2))


def test_unknown_size_has_no_length(tmp_path: Path) -> None:
    dataset = LengthBucketedDataset(QueryDataset(register_local(unique_id("lir-q"), queries=_queries(tmp_path))), 2)
    with pytest.raises(TypeError, match="size"):
        dataset.num_batches(0)  # Lightning then reads the loader to its end
    assert [bucket.positions for bucket in dataset] == [[1, 2], [0]]  # longest first
    assert dataset.query_dataset  # the wrapped dataset's attributes show through (dataset names, run checks)
    with pytest.raises(ValueError, match="window"):
        LengthBucketedDataset(dataset.dataset, 2, window=0)
    with pytest.raises(ValueError, match="bucket_window"):
        LightningIRDataModule(inference_datasets=[dataset.dataset], inference_batch_size=2, bucket_window=0)


def _queries(tmp_path: Path) -> Path:
    return write(tmp_path / "queries.tsv", "a\tone\nb\ttwo two\nc\tthree three three\n")


def test_bucketed_targets_follow_their_documents(collection: str) -> None:
    dataset = RunDataset(collection, targets="score")
    for bucket in LengthBucketedDataset(dataset, batch_size=3, window=1):
        for sample, position in zip(bucket.samples, bucket.positions, strict=True):
            full = dataset[position]
            scores = dict(zip(full.doc_ids, full.targets.tolist(), strict=True))  # type: ignore[union-attr]
            assert isinstance(sample.targets, torch.Tensor)
            assert sample.targets.tolist() == [scores[doc_id] for doc_id in sample.doc_ids]  # type: ignore[attr-defined]


@pytest.mark.parametrize("bucketing", [False, True])
def test_loaders_know_their_batches_with_several_workers(collection: str, bucketing: bool) -> None:
    loader = _loader(DocDataset(collection), batch_size=5, num_workers=2, bucketing=bucketing)
    batches = list(loader)
    assert len(loader) == len(batches) == 6 + 6  # ceil(27 / 5) + ceil(26 / 5); ceil(53 / 5) would drop one
    assert sum(len(batch.doc_ids) for batch in batches) == 53
