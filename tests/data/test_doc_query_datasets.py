"""DocDataset and QueryDataset over the local test collection."""

from __future__ import annotations

import pytest

from lightning_ir.data import DocDataset, DocSample, QueryDataset, QuerySample
from lightning_ir.data.ir_datasets_utils import register_local

from .conftest import Corpus, unique_id, write


def test_doc_dataset_default_text_is_title_and_text(corpus: Corpus) -> None:
    samples = list(DocDataset(corpus.dataset_id))
    assert samples[0] == DocSample("d1", "Cats Cats are small felines.")
    assert samples[2] == DocSample("d3", "Fish swim.")  # empty title: the text alone
    assert len(samples) == 6


def test_doc_dataset_text_fields_and_num_docs(corpus: Corpus) -> None:
    dataset = DocDataset(corpus.dataset_id, num_docs=2, text_fields=["text"])
    assert [s.doc for s in dataset] == ["Cats are small felines.", "Dogs are loyal."]
    assert len(dataset) == 2
    assert [s.doc for s in DocDataset(corpus.dataset_id, num_docs=1, text_fields=["doc_id", "title"])] == ["d1 Cats"]
    with pytest.raises(
        ValueError, match=r"text_fields \['body'\]: documents have fields \['doc_id', 'text', 'title'\]"
    ):
        list(DocDataset(corpus.dataset_id, text_fields=["body"]))


def test_doc_dataset_needs_documents(corpus: Corpus, tmp_path) -> None:

    queries_only = register_local(unique_id(), queries=write(tmp_path / "q.tsv", "1\tq\n"))
    with pytest.raises(ValueError, match=f"DocDataset: '{queries_only}' has no documents"):
        DocDataset(queries_only)
    with pytest.raises(ValueError, match="has no queries"):
        QueryDataset(register_local(unique_id(), docs=corpus.docs))


def test_query_dataset_attaches_qrels(corpus: Corpus) -> None:
    samples = list(QueryDataset(corpus.dataset_id))
    assert [(s.query_id, s.query) for s in samples] == [
        ("q1", "what are cats"),
        ("q2", "which animals fly"),
        ("q3", "what grows"),
    ]
    assert samples[0].qrels == [
        {"query_id": "q1", "doc_id": "d1", "iteration": "0", "relevance": 2},
        {"query_id": "q1", "doc_id": "d2", "iteration": "0", "relevance": 0},
    ]
    assert len(samples[1].qrels or []) == 3


def test_query_dataset_num_queries_and_no_qrels(corpus: Corpus, tmp_path) -> None:

    assert [s.query_id for s in QueryDataset(corpus.dataset_id, num_queries=2)] == ["q1", "q2"]
    without_qrels = register_local(unique_id(), queries=corpus.queries)
    assert list(QueryDataset(without_qrels, num_queries=1)) == [QuerySample("q1", "what are cats", None)]
