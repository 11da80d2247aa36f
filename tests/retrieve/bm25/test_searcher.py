"""BM25Indexer + BM25Searcher: bm25s' own retrieval gives the same run; search results and run files."""

from __future__ import annotations

from pathlib import Path

import bm25s
import pytest
import Stemmer
import torch

from lightning_ir.data.run_file import read_run
from lightning_ir.retrieve import BM25IndexConfig, BM25Indexer, BM25SearchConfig, BM25Searcher

from .conftest import read_texts

CONFIGS = [
    BM25IndexConfig(),
    BM25IndexConfig(stemmer="english"),
    BM25IndexConfig(method="bm25+", k1=1.2, b=0.5, delta=1.0, stemmer="english", stopwords=None),
    BM25IndexConfig(method="robertson", stopwords=["with", "a", "the"], lower=False),
]


def bm25s_reference(config: BM25IndexConfig, docs: list[str], queries: list[str], k: int) -> list[dict[int, float]]:
    """bm25s used directly, as its README does: ``bm25s.tokenize``, ``BM25.index``, ``BM25.retrieve``."""
    stemmer = Stemmer.Stemmer(config.stemmer) if config.stemmer else None
    stopwords = list(config.stopwords) if isinstance(config.stopwords, tuple) else config.stopwords
    tokenize = {"lower": config.lower, "stopwords": stopwords, "stemmer": stemmer, "show_progress": False}
    retriever = bm25s.BM25(k1=config.k1, b=config.b, delta=config.delta, method=config.method)
    retriever.index(bm25s.tokenize(docs, **tokenize), show_progress=False)
    indices, scores = retriever.retrieve(bm25s.tokenize(queries, **tokenize), k=k, show_progress=False)
    rows = zip(indices.tolist(), scores.tolist(), strict=True)
    return [dict(zip(row, row_scores, strict=True)) for row, row_scores in rows]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: f"{config.method}-{config.stemmer}")
@pytest.mark.parametrize("k", [5, 16])
def test_same_run_as_bm25s(tmp_path, collection, config, k):
    doc_ids, docs = read_texts(collection / "docs.tsv")
    query_ids, queries = read_texts(collection / "queries.tsv")
    BM25Indexer(tmp_path / "index", config).index(str(collection))
    path = BM25Searcher(tmp_path / "index", BM25SearchConfig(k=k)).write_run(str(collection), tmp_path / "bm25.run")
    ours: dict[str, dict[str, float]] = {}
    for entry in read_run(path):
        ours.setdefault(entry.query_id, {})[entry.doc_id] = entry.score
    reference = bm25s_reference(config, docs, queries, k)
    assert list(ours) == query_ids
    for query_id, expected in zip(query_ids, reference, strict=True):
        expected_ids = {doc_ids[index]: score for index, score in expected.items()}
        assert set(ours[query_id]) == set(expected_ids)
        for doc_id, score in expected_ids.items():
            assert ours[query_id][doc_id] == pytest.approx(score, abs=1e-6)


def test_search_texts_and_ranking(bm25_index):
    searcher = BM25Searcher(bm25_index, BM25SearchConfig(k=3))
    scores, doc_ids = searcher.search(["roasted coffee beans", "Rockets LAUNCHING into orbit"])
    assert [ids[0] for ids in doc_ids] == ["d-coffee", "d-rocket"]  # stemming: launching -> launch
    assert all(len(ids) == 3 for ids in doc_ids)
    for row in scores:
        assert row.dtype == torch.float32
        assert torch.all(row[:-1] >= row[1:])
    assert searcher.search([]).doc_ids == []


def test_k_above_collection_size_and_query_without_known_terms(bm25_index):
    searcher = BM25Searcher(bm25_index, BM25SearchConfig(k=1000))
    scores, doc_ids = searcher.search(["zebra xylophone", "the a of"])
    assert [len(ids) for ids in doc_ids] == [16, 16]  # all documents, as bm25s returns them
    assert all(float(row.abs().max()) == 0.0 for row in scores)


@pytest.mark.slow  # numba compiles bm25s' scorer first (about 35 s on 2 cores)
def test_numba_backend_gives_the_same_scores(bm25_index):
    pytest.importorskip("numba")
    queries = ["which fruit grows on orchard trees", "hot drink", "launch spacecraft into orbit"]
    numpy_result = BM25Searcher(bm25_index, BM25SearchConfig(k=4)).search(queries)
    numba_result = BM25Searcher(bm25_index, BM25SearchConfig(k=4, backend="numba")).search(queries)
    pairs = zip(numpy_result.scores, numba_result.scores, numpy_result.doc_ids, numba_result.doc_ids, strict=True)
    for ours, theirs, our_ids, their_ids in pairs:
        torch.testing.assert_close(ours, theirs)
        assert our_ids[0] == their_ids[0]


def test_add_batches_equals_index_dataset(tmp_path, collection, bm25_index):
    doc_ids, docs = read_texts(collection / "docs.tsv")
    indexer = BM25Indexer(tmp_path / "index", BM25IndexConfig(stemmer="english"))
    indexer.add(doc_ids[:5], docs[:5])
    indexer.add(doc_ids[5:], docs[5:])
    indexer.save()
    queries = ["salt water waves", "team sport"]
    ours = BM25Searcher(tmp_path / "index").search(queries)
    theirs = BM25Searcher(bm25_index).search(queries)
    assert ours.doc_ids == theirs.doc_ids
    for mine, other in zip(ours.scores, theirs.scores, strict=True):
        torch.testing.assert_close(mine, other)


@pytest.mark.parametrize(
    ("doc_ids", "texts", "message"),
    [
        (["a", "b"], ["x"], "got 2 doc ids for 1 texts"),
        (["a b"], ["x"], "doc id 'a b' must be a non-empty string without whitespace"),
        ([""], ["x"], "doc id '' must be a non-empty string"),
        (["a", "a"], ["x", "y"], "duplicate doc id 'a'"),
        (["a"], [None], "the text of document 'a' is NoneType"),
    ],
)
def test_invalid_documents(tmp_path, doc_ids, texts, message):
    indexer = BM25Indexer(tmp_path / "index")
    with pytest.raises(ValueError, match=message):
        indexer.add(doc_ids, texts)
    assert indexer.num_docs == 0


def test_duplicate_across_batches_and_nothing_to_save(tmp_path):
    indexer = BM25Indexer(tmp_path / "index")
    with pytest.raises(ValueError, match="no documents were added"):
        indexer.save()
    indexer.add(["a"], ["the and of"])
    with pytest.raises(ValueError, match="duplicate doc id 'a'"):
        indexer.add(["a"], ["again"])
    with pytest.raises(ValueError, match="none of the 1 documents has a term left after tokenisation"):
        indexer.save()
    assert not (tmp_path / "index").exists()


def test_write_run_refuses_a_foreign_file_before_searching(tmp_path, bm25_index, collection):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    with pytest.raises(FileExistsError, match="refusing to replace"):
        BM25Searcher(bm25_index).write_run(str(collection), notes)
    assert notes.read_text() == "my notes\n"


def test_run_tag_and_ranks(tmp_path, bm25_index, collection):
    path = BM25Searcher(bm25_index, BM25SearchConfig(k=4)).write_run(str(collection), Path(tmp_path / "r.run"))
    lines = path.read_text().splitlines()
    assert len(lines) == 8 * 4
    first = lines[0].split()
    assert first[:4] == ["q-apple", "Q0", "d-apple", "1"]
    assert first[5] == "bm25"
