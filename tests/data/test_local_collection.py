"""Local collections: register_local, collection folders, file formats and line validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightning_ir.data import DocDataset, QueryDataset
from lightning_ir.data.ir_datasets_utils import dataset_ref, folder_files, load_dataset, register_local

from .conftest import Corpus, unique_id, write


def test_registered_collection_is_an_ir_datasets_id(corpus: Corpus) -> None:
    import ir_datasets

    dataset = ir_datasets.load(corpus.dataset_id)
    assert [d.doc_id for d in dataset.docs_iter()] == ["d1", "d2", "d3", "d4", "d5", "d6"]
    assert dataset.docs_store().get("d2").title == "Dogs"
    assert dataset.docs_count() == 6
    assert [(q.query_id, q.text) for q in dataset.queries_iter()][1] == ("q2", "which animals fly")
    qrels = [(q.query_id, q.iteration, q.doc_id, q.relevance) for q in dataset.qrels_iter()]
    assert qrels[:3] == [("q1", "0", "d1", 2), ("q1", "0", "d2", 0), ("q2", "1", "d4", 1)]
    assert [(s.query_id, s.doc_id, s.score) for s in dataset.scoreddocs_iter()][1] == ("q1", "d1", 7.5)
    assert [(p.query_id, p.doc_ids) for p in dataset.docpairs_iter()][0] == ("q1", ("d1", "d2"))


def test_child_id_inherits_missing_entities_from_its_parent(corpus: Corpus) -> None:
    dataset = load_dataset(corpus.scored_id)
    assert dataset.has_docs()
    assert dataset.has_queries()
    assert dataset.has_qrels()
    assert next(iter(dataset.docpairs_iter())).scores == (3.0, 1.0, 0.5)
    assert dataset.docs_store().get("d6").text == "Trees grow."


def test_register_again_same_files_is_a_no_op_other_files_raise(corpus: Corpus) -> None:
    assert register_local(
        corpus.dataset_id, corpus.docs, corpus.queries, corpus.qrels, corpus.docpairs, corpus.trec_run
    )
    with pytest.raises(ValueError, match=f"'{corpus.dataset_id}' is already registered with other files"):
        register_local(corpus.dataset_id, docs=corpus.docs)
    with pytest.raises(ValueError, match="'beir/scifact' is an ir_datasets id"):
        register_local("beir/scifact", docs=corpus.docs)
    with pytest.raises(ValueError, match="give at least one of docs"):
        register_local(unique_id())


def test_jsonl_docs_and_queries_and_tsv_qrels_with_beir_header(tmp_path: Path) -> None:
    docs = write(
        tmp_path / "corpus.jsonl",
        json.dumps({"_id": "a", "title": "T", "text": "body"}) + "\n" + json.dumps({"doc_id": "b", "text": "x"}) + "\n",
    )
    queries = write(tmp_path / "queries.jsonl", json.dumps({"_id": "1", "text": "query one"}) + "\n")
    qrels = write(tmp_path / "qrels.tsv", "query-id\tcorpus-id\tscore\n1\ta\t1\n")
    dataset_id = register_local(unique_id("lir-jsonl"), docs=docs, queries=queries, qrels=qrels)
    assert [(s.doc_id, s.doc) for s in DocDataset(dataset_id)] == [("a", "T body"), ("b", "x")]
    samples = list(QueryDataset(dataset_id))
    assert [(s.query_id, s.query) for s in samples] == [("1", "query one")]
    assert samples[0].qrels == [{"query_id": "1", "doc_id": "a", "iteration": "0", "relevance": 1}]


def test_collection_folder_is_a_dataset_id(tmp_path: Path) -> None:
    write(tmp_path / "coll" / "docs.tsv", "a\tfirst\nb\tsecond\n")
    write(tmp_path / "coll" / "dev" / "queries.tsv", "1\tq\n")
    write(tmp_path / "coll" / "dev" / "qrels.tsv", "1\tb\t1\n")
    assert set(folder_files(tmp_path / "coll" / "dev")) == {"queries", "qrels"}
    dev = str(tmp_path / "coll" / "dev")
    assert [s.doc for s in DocDataset(dev)] == ["first", "second"]  # documents from the parent folder
    assert [s.qrels for s in QueryDataset(dev)][0] == [
        {"query_id": "1", "doc_id": "b", "iteration": "0", "relevance": 1}
    ]
    write(tmp_path / "two" / "docs.tsv", "a\tx\n")
    write(tmp_path / "two" / "docs.jsonl", "{}\n")
    with pytest.raises(ValueError, match="several docs files"):
        folder_files(tmp_path / "two")


def test_unknown_id_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown dataset id 'no/such-collection'"):
        DocDataset("no/such-collection")
    with pytest.raises(ValueError, match="unknown dataset id 'nope'"):
        dataset_ref("nope")
    missing = tmp_path / "missing.tsv"
    with pytest.raises(FileNotFoundError, match=f"docs file {missing} does not exist"):
        register_local(unique_id(), docs=missing)


@pytest.mark.parametrize(
    ("name", "entity", "text", "message"),
    [
        ("docs.tsv", "docs", "a\tx\nb\tt\tx\textra\n", "line 2 of {path}: has 4 columns, expected 2"),
        ("docs.tsv", "docs", "only-an-id\n", "line 1 of {path}: has 1 columns, expected 2 or 3"),
        ("docs.jsonl", "docs", '{"doc_id": "a", "text": "x"}\n{"doc_id": "b"}\n', "line 2 of {path}: has no 'text'"),
        ("docs.jsonl", "docs", '{"doc_id": "a", "text": "x"}\nnot json\n', "line 2 of {path}: is not valid JSON"),
        ("queries.tsv", "queries", "1\tq\n2\tq\tmore\n", "line 2 of {path}: has 3 columns, expected 2"),
        ("qrels.txt", "qrels", "1 0 a 1\n1 0 b\n", "line 2 of {path}: has 3 columns, expected 4"),
        ("qrels.txt", "qrels", "1 0 a 1\n1 0 b high\n", "line 2 of {path}: relevance 'high' is not an integer"),
        ("docpairs.tsv", "docpairs", "1\ta\tb\n1\ta\tb\tc\n", "line 2 of {path}: has 4 columns, expected 3"),
        ("docpairs.tsv", "docpairs", "1\ta\n", "line 1 of {path}: has 2 columns, expected 3"),
        ("docpairs.jsonl", "docpairs", '{"query_id": "1", "doc_ids": ["a"], "scores": [1, 2]}\n', "line 1 of {path}"),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, name: str, entity: str, text: str, message: str) -> None:
    path = write(tmp_path / name, text)
    dataset = load_dataset(register_local(unique_id(), **{entity: path}))
    iterate = getattr(dataset, f"{entity}_iter")
    with pytest.raises(ValueError, match=message.format(path=path).replace("(", r"\(")):
        list(iterate())


def test_duplicate_document_id_raises(tmp_path: Path) -> None:
    path = write(tmp_path / "docs.tsv", "a\tx\na\ty\n")
    dataset = load_dataset(register_local(unique_id(), docs=path))
    with pytest.raises(ValueError, match=f"{path}: document id 'a' occurs more than once"):
        dataset.docs_store()
