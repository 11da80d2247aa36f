"""TupleDataset: docpairs with order targets, scored tuples with score targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lightning_ir.data import LightningIRCollator, TupleDataset
from lightning_ir.data.ir_datasets_utils import register_local
from lightning_ir.data.sharding import ShardedDataLoader

from .conftest import Corpus, unique_id, write


def test_order_targets_first_document_positive(corpus: Corpus) -> None:
    samples = list(TupleDataset(corpus.dataset_id))
    assert [(s.query_id, list(s.doc_ids)) for s in samples] == [
        ("q1", ["d1", "d2"]),
        ("q2", ["d4", "d5"]),
        ("q3", ["d6", "d5"]),
    ]
    first = samples[0]
    assert first.query == "what are cats"
    assert list(first.docs) == ["Cats Cats are small felines.", "Dogs Dogs are loyal."]
    assert first.targets is not None
    assert first.targets.tolist() == [1.0, 0.0]
    assert first.qrels is not None
    assert first.qrels[0]["relevance"] == 2


def test_score_targets_and_num_docs(corpus: Corpus) -> None:
    samples = list(TupleDataset(corpus.scored_id, targets="score"))
    assert samples[0].targets is not None
    assert samples[0].targets.tolist() == [3.0, 1.0, 0.5]
    assert samples[1].targets is not None
    assert samples[1].targets.tolist() == [2.0, -1.0, 0.0]
    cut = list(TupleDataset(corpus.scored_id, targets="score", num_docs=2))
    assert [list(s.doc_ids) for s in cut] == [["d1", "d2"], ["d4", "d5"]]
    assert cut[1].targets is not None
    assert cut[1].targets.tolist() == [2.0, -1.0]
    ordered = list(TupleDataset(corpus.scored_id, targets="order"))
    assert ordered[0].targets is not None
    assert ordered[0].targets.tolist() == [1.0, 0.0, 0.0]


def test_bad_tuples(corpus: Corpus, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tuple 1 of '.*' has no scores"):
        list(TupleDataset(corpus.dataset_id, targets="score"))
    with pytest.raises(ValueError, match="targets must be 'order' or 'score'"):
        TupleDataset(corpus.dataset_id, targets="rank")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has no docpairs"):
        TupleDataset(register_local(unique_id(), docs=corpus.docs, queries=corpus.queries))
    pairs = write(tmp_path / "pairs.tsv", "q1\td1\td2\nq2\td4\tzz\n")
    bad = register_local(unique_id(), docs=corpus.docs, queries=corpus.queries, docpairs=pairs)
    with pytest.raises(ValueError, match=rf"tuple 2 of '{bad}' names document\(s\) \['zz'\]"):
        list(TupleDataset(bad))


@pytest.fixture(scope="module")
def wide_tuples(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> str:
    """40 scored tuples of one positive and 5 negatives each (the score of a document is its number)."""
    folder = tmp_path_factory.mktemp("wide")
    lines = []
    for number in range(40):
        doc_ids = [f"d{(number + shift) % 6 + 1}" for shift in range(6)]
        scores = [float(doc_id[1:]) for doc_id in doc_ids]
        lines.append(json.dumps({"query_id": "q1", "doc_ids": doc_ids, "scores": scores}) + "\n")
    tuples = write(folder / "docpairs.jsonl", "".join(lines))
    return register_local(unique_id(), docs=corpus.docs, queries=corpus.queries, docpairs=tuples)


def _docs_of(samples: list[Any]) -> list[list[str]]:
    return [list(sample.doc_ids) for sample in samples]


def test_sample_negatives_draws_anew_every_epoch(wide_tuples: str) -> None:
    dataset = TupleDataset(wide_tuples, targets="score", num_docs=3, sample_negatives=True, seed=7)
    first_pass, second_pass = list(dataset), list(dataset)
    assert dataset.epoch == 2
    full = _docs_of(list(TupleDataset(wide_tuples)))
    for epoch in (first_pass, second_pass):
        for sample, everything in zip(epoch, full, strict=True):
            assert len(sample.doc_ids) == 3
            assert sample.doc_ids[0] == everything[0]  # the positive stays first
            assert set(sample.doc_ids[1:]) <= set(everything[1:])
            assert len(set(sample.doc_ids)) == 3
            assert sample.targets.tolist() == [float(doc_id[1:]) for doc_id in sample.doc_ids]
    assert _docs_of(first_pass) != _docs_of(second_pass)
    again = TupleDataset(wide_tuples, targets="score", num_docs=3, sample_negatives=True, seed=7)
    assert _docs_of(list(again)) == _docs_of(first_pass)
    again.set_epoch(1)
    assert _docs_of(list(again)) == _docs_of(second_pass)
    other_seed = TupleDataset(wide_tuples, targets="score", num_docs=3, sample_negatives=True, seed=8)
    assert _docs_of(list(other_seed)) != _docs_of(first_pass)
    fixed = TupleDataset(wide_tuples, num_docs=3)
    assert _docs_of(list(fixed)) == _docs_of(list(fixed)) == [docs[:3] for docs in full]


def test_shuffle_buffer_reorders_every_epoch(wide_tuples: str) -> None:
    in_order = _docs_of(list(TupleDataset(wide_tuples)))
    dataset = TupleDataset(wide_tuples, shuffle_buffer=100, seed=3)
    first_pass, second_pass = _docs_of(list(dataset)), _docs_of(list(dataset))
    for shuffled in (first_pass, second_pass):
        assert shuffled != in_order
        assert sorted(shuffled) == sorted(in_order)
    assert first_pass != second_pass
    assert _docs_of(list(TupleDataset(wide_tuples, shuffle_buffer=100, seed=3))) == first_pass
    assert _docs_of(list(TupleDataset(wide_tuples, shuffle_buffer=1, seed=3))) == in_order


def test_epochs_reach_dataloader_workers(wide_tuples: str) -> None:
    def passes(num_workers: int) -> list[list[str]]:
        dataset = TupleDataset(wide_tuples, num_docs=2, sample_negatives=True, shuffle_buffer=8, seed=1)
        loader = ShardedDataLoader(
            dataset,
            batch_size=5,
            num_workers=num_workers,
            collate_fn=LightningIRCollator(),
            persistent_workers=num_workers > 0,
        )
        return [[f"{b.query_ids}{b.doc_ids}" for b in loader] for _ in range(3)]

    in_process = passes(0)
    assert len({str(epoch) for epoch in in_process}) == 3
    assert passes(1) == in_process  # a persistent worker counts its own passes


def test_sampling_options_are_checked(corpus: Corpus) -> None:
    with pytest.raises(ValueError, match="sample_negatives needs num_docs"):
        TupleDataset(corpus.dataset_id, sample_negatives=True)
    with pytest.raises(ValueError, match="shuffle_buffer must be 0 or more, got -1"):
        TupleDataset(corpus.dataset_id, shuffle_buffer=-1)
    with pytest.raises(ValueError, match="epoch must be 0 or more"):
        TupleDataset(corpus.dataset_id).set_epoch(-1)
