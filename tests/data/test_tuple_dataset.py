"""TupleDataset: docpairs with order targets, scored tuples with score targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir.data import TupleDataset
from lightning_ir.data.ir_datasets_utils import register_local

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
