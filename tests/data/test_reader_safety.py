"""No silent data mangling in the readers: every malformed file is refused with its name and the line.

Covers documents, queries, qrels, document tuples and runs (TSV, TREC and JSONL): byte-order marks, encodings, JSON
value types, ids a TREC run cannot hold, repeated ids (also across DataLoader workers and ranks), non-finite scores,
and the JSONL run layouts users already have (ranks instead of scores, integer ids, inline texts and relevance).
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ir_datasets
import pytest
from ir_datasets.formats import (
    BaseDocPairs,
    BaseDocs,
    BaseQueries,
    BaseScoredDocs,
    GenericDoc,
    GenericQuery,
    GenericScoredDoc,
)
from torch.utils.data import DataLoader

from lightning_ir.data import (
    DocDataset,
    LightningIRCollator,
    QueryDataset,
    RankBatch,
    RunDataset,
    TrainBatch,
    TupleDataset,
    read_run,
)
from lightning_ir.data.ir_datasets_utils import load_dataset, register_local
from lightning_ir.data.local_collection import LocalDocStore
from lightning_ir.data.local_formats import LocalDoc, LocalDocTuple

from .conftest import Corpus, unique_id


def write_bytes(path: Path, content: str | bytes) -> Path:
    """Writes ``content`` (UTF-8 when a string) to ``path`` and returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def jsonl(*objects: dict[str, Any]) -> str:
    return "".join(json.dumps(obj) + "\n" for obj in objects)


def read(entity: str, path: Path) -> list[Any]:
    """Reads ``path`` the way the library does for ``entity``; documents and queries through their datasets."""
    if entity == "run":
        return list(read_run(path))
    dataset_id = register_local(unique_id(), **{entity: path})
    if entity == "docs":
        return list(DocDataset(dataset_id))
    if entity == "queries":
        return list(QueryDataset(dataset_id))
    return list(getattr(load_dataset(dataset_id), f"{entity}_iter")())


def line_message(path: Path, line: int, fragment: str) -> str:
    return rf"line {line} of {re.escape(str(path))}: .*{re.escape(fragment)}"


DOC = {"doc_id": "a", "text": "x"}
QUERY = {"query_id": "q", "text": "x"}
TUPLE = {"query_id": "q", "doc_ids": ["a", "b"]}
RUN = {"query_id": "q", "doc_id": "a", "score": 1.0}

NAN_SCORES = '{"query_id": "q", "doc_ids": ["a", "b"], "scores": [1, NaN]}\n'
MALFORMED = [
    # encodings
    ("docs.tsv", "docs", b"a\tok\nb\tcaf\xe9\n", 2, "is not valid UTF-8 (byte 0xe9 at byte 6 of the line)"),
    ("queries.jsonl", "queries", b'{"query_id": "1", "text": "ok"}\n{"query_id": "2", "text": "\xff"}\n', 2, "UTF-8"),
    ("qrels.txt", "qrels", b"1 0 a 1\n\n1 0 \xe9 1\n", 3, "is not valid UTF-8"),
    ("docpairs.tsv", "docpairs", b"q\ta\tb\nq\t\xc3\tb\n", 2, "is not valid UTF-8"),
    ("bm25.run", "run", b"q Q0 a 1 1.0 t\nq Q0 \xe9 2 0.5 t\n", 2, "is not valid UTF-8"),
    ("run.jsonl", "run", b'{"query_id": "q", "doc_id": "\x80", "score": 1}\n', 1, "is not valid UTF-8"),
    ("docs.tsv", "docs", "a\tb\n".encode("utf-16"), 1, "the file is UTF-16 encoded"),
    # JSON values where a string id or text is expected
    ("docs.jsonl", "docs", jsonl({"doc_id": "a", "text": None}), 1, "'text' must be a string, got null"),
    ("docs.jsonl", "docs", jsonl(DOC, {"_id": "b", "text": ["x", "y"]}), 2, "'text' must be a string, got [\"x\""),
    ("docs.jsonl", "docs", jsonl({**DOC, "title": None}), 1, "'title' must be a string, got null"),
    ("docs.jsonl", "docs", jsonl({**DOC, "title": 3}), 1, "'title' must be a string, got 3"),
    ("docs.jsonl", "docs", jsonl({"doc_id": 1.0, "text": "x"}), 1, "'doc_id' must be a string or an integer, got 1.0"),
    ("docs.jsonl", "docs", jsonl({"_id": True, "text": "x"}), 1, "'_id' must be a string or an integer, got true"),
    ("docs.jsonl", "docs", jsonl({"doc_id": {"a": 1}, "text": "x"}), 1, """got {"a": 1}"""),
    ("docs.jsonl", "docs", jsonl({"doc_id": "a", "_id": "b", "text": "x"}), 1, "has both 'doc_id' and '_id'"),
    ("docs.jsonl", "docs", '{"doc_id": "a", "doc_id": "b", "text": "x"}\n', 1, "repeats the key 'doc_id'"),
    ("queries.jsonl", "queries", jsonl(QUERY, {"query_id": None, "text": "x"}), 2, "'query_id' must be a string or"),
    ("queries.jsonl", "queries", jsonl({"_id": "1", "text": 5}), 1, "'text' must be a string, got 5"),
    ("docpairs.jsonl", "docpairs", jsonl({**TUPLE, "query_id": 1.5}), 1, "'query_id' must be a string or an integer"),
    ("docpairs.jsonl", "docpairs", jsonl({**TUPLE, "doc_ids": ["a", None]}), 1, "'doc_ids' entry 2 must be a"),
    ("docpairs.jsonl", "docpairs", jsonl({**TUPLE, "doc_ids": "a b"}), 1, "'doc_ids' must be a non-empty list"),
    ("run.jsonl", "run", jsonl(RUN, {**RUN, "query_id": None}), 2, "'query_id' must be a string or an integer, got"),
    ("run.jsonl", "run", jsonl({**RUN, "doc_id": ["a"]}), 1, "'doc_id' must be a string or an integer"),
    ("run.jsonl", "run", jsonl({**RUN, "query": None}), 1, "'query' must be a string, got null"),
    ("run.jsonl", "run", jsonl({**RUN, "text": {"t": "x"}}), 1, "'text' must be a string"),
    ("run.jsonl", "run", jsonl({**RUN, "doc": 3}), 1, "'doc' must be a string, got 3"),
    ("run.jsonl", "run", jsonl({**RUN, "text": "x", "doc": "y"}), 1, "has both 'text' and 'doc' with different"),
    # ids a TREC run cannot hold
    ("docs.tsv", "docs", "a\tx\n\ty\n", 2, "doc_id is empty"),
    ("docs.tsv", "docs", "a b\tx\n", 1, "doc_id 'a b' contains whitespace"),
    ("docs.tsv", "docs", "a\u00a0b\tt\tx\n", 1, "contains whitespace"),
    ("docs.tsv", "docs", "a\tx\n\ufeffb\ty\n", 2, "doc_id '\\ufeffb' contains a byte-order mark"),
    ("queries.tsv", "queries", "1\tq\n\tq2\n", 2, "query_id is empty"),
    ("docs.jsonl", "docs", jsonl({**DOC, "doc_id": ""}), 1, "'doc_id' is empty"),
    ("queries.jsonl", "queries", jsonl({"_id": "q 1", "text": "x"}), 1, "'_id' 'q 1' contains whitespace"),
    ("docpairs.tsv", "docpairs", "q\ta\tb\nq\ta\t\n", 2, "doc_id 2 is empty"),
    ("docpairs.tsv", "docpairs", "\ta\tb\n", 1, "query_id is empty"),
    ("docpairs.jsonl", "docpairs", jsonl({**TUPLE, "doc_ids": ["a", "b c"]}), 1, "entry 2 'b c' contains whitespace"),
    ("run.jsonl", "run", jsonl({**RUN, "doc_id": "d 1"}), 1, "'doc_id' 'd 1' contains whitespace"),
    ("run.jsonl", "run", jsonl({**RUN, "query_id": ""}), 1, "'query_id' is empty"),
    # repeated ids
    ("queries.tsv", "queries", "q1\ta\nq2\tb\nq1\tc\n", 3, "query id 'q1' occurs more than once (first on line 1)"),
    ("queries.jsonl", "queries", jsonl({"_id": 1, "text": "a"}, {"_id": "1", "text": "b"}), 2, "(first on line 1)"),
    ("docs.tsv", "docs", "a\tx\nb\ty\n\na\tz\n", 4, "document id 'a' occurs more than once (first on line 1)"),
    # scores must be finite numbers, ranks and labels integers
    ("bm25.run", "run", "q Q0 a 1 1.0 t\nq Q0 b 2 nan t\n", 2, "score 'nan' is not a finite number"),
    ("bm25.run", "run", "q Q0 a 1 inf t\n", 1, "score 'inf' is not a finite number"),
    ("bm25.run", "run", "q Q0 a 1 -Infinity t\n", 1, "score '-Infinity' is not a finite number"),
    ("run.jsonl", "run", '{"query_id": "q", "doc_id": "a", "score": NaN}\n', 1, "'score' NaN is not a finite number"),
    ("run.jsonl", "run", '{"query_id": "q", "doc_id": "a", "score": 1e999}\n', 1, "'score' Infinity is not a finite"),
    ("run.jsonl", "run", jsonl({**RUN, "score": "-inf"}), 1, "'score' '-inf' is not a finite number"),
    ("run.jsonl", "run", jsonl({**RUN, "score": True}), 1, "'score' true is not a number"),
    ("run.jsonl", "run", jsonl({**RUN, "score": None}), 1, "'score' null is not a number"),
    ("run.jsonl", "run", jsonl({**RUN, "rank": 1.5}), 1, "'rank' 1.5 is not an integer"),
    ("run.jsonl", "run", jsonl({**RUN, "relevance": "high"}), 1, "'relevance' 'high' is not an integer"),
    ("run.jsonl", "run", jsonl({"query_id": "q", "doc_id": "a"}), 1, "has no 'score' or 'rank' key"),
    ("run.jsonl", "run", jsonl(RUN, {"query_id": "q", "doc_id": "b", "rank": 2}), 2, "'rank' must be given on every"),
    ("run.jsonl", "run", jsonl({**RUN, "rank": 1}, {**RUN, "score": None, "rank": 2}), 2, "'score' null is not"),
    ("docpairs.jsonl", "docpairs", NAN_SCORES, 1, "'scores' entry 2 NaN is not a finite number"),
    ("docpairs.jsonl", "docpairs", jsonl({**TUPLE, "scores": [1, False]}), 1, "'scores' entry 2 false is not a number"),
    ("qrels.txt", "qrels", "q 0 a 1\nq 0 b 1.5\n", 2, "relevance '1.5' is not an integer"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "entity", "content", "line", "fragment"), MALFORMED)
def test_malformed_files_are_refused_naming_file_and_line(
    tmp_path: Path, name: str, entity: str, content: str | bytes, line: int, fragment: str
) -> None:
    path = write_bytes(tmp_path / name, content)
    with pytest.raises(ValueError, match=line_message(path, line, fragment)):
        read(entity, path)


BOM = codecs.BOM_UTF8.decode("utf-8")


@pytest.mark.parametrize(
    ("name", "entity", "content", "first_id"),
    [
        ("docs.tsv", "docs", f"{BOM}d1\tx\n", "d1"),
        ("docs.jsonl", "docs", BOM + jsonl({"_id": "d1", "text": "x"}), "d1"),
        ("queries.tsv", "queries", f"{BOM}q1\tx\n", "q1"),
        ("queries.jsonl", "queries", BOM + jsonl({"query_id": 7, "text": "x"}), "7"),
        ("qrels.tsv", "qrels", f"{BOM}query-id\tcorpus-id\tscore\nq1\td1\t1\n", "q1"),  # the header is still seen
        ("docpairs.tsv", "docpairs", f"{BOM}q1\ta\tb\n", "q1"),
        ("bm25.run", "run", f"{BOM}q1 Q0 a 1 2.0 t\n", "q1"),
        ("run.jsonl", "run", BOM + jsonl({"query_id": "q1", "doc_id": "a", "rank": 1}), "q1"),
    ],
)
def test_a_byte_order_mark_is_not_part_of_the_first_id(
    tmp_path: Path, name: str, entity: str, content: str, first_id: str
) -> None:
    first = read(entity, write_bytes(tmp_path / name, content))[0]
    assert (first.query_id if hasattr(first, "query_id") else first.doc_id) == first_id


def test_integral_json_ids_are_read_as_decimal_strings(tmp_path: Path) -> None:
    docs = jsonl({"doc_id": 1, "text": "one", "title": "T"}, {"_id": -2, "text": ""})
    samples = read("docs", write_bytes(tmp_path / "docs.jsonl", docs))
    assert [(s.doc_id, s.doc) for s in samples] == [("1", "T one"), ("-2", "")]
    tuples = write_bytes(tmp_path / "docpairs.jsonl", jsonl({"query_id": 3, "doc_ids": [1, "b"], "scores": [2, 0.5]}))
    (item,) = read("docpairs", tuples)
    assert (item.query_id, item.doc_ids, item.scores) == ("3", ("1", "b"), (2.0, 0.5))


def test_a_trec_run_may_have_any_tag(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "odd.run", "q1 Q0 d1 1 2.5 my-run#2|ä\"'{}\nq1 0 d2 2 -1e3 ∅\n")
    assert [(e.doc_id, e.rank, e.score) for e in read_run(path)] == [("d1", 1, 2.5), ("d2", 2, -1000.0)]


INLINE_RUN = [
    # lines out of rank order; no scores; integer ids; 'text' and the current code's 'doc' for the document text
    {"query_id": 1, "doc_id": 30, "rank": 3, "query": "what are cats", "text": "about fish", "relevance": 0},
    {"query_id": 1, "doc_id": 10, "rank": 1, "query": "what are cats", "text": "about cats", "relevance": 2},
    {"query_id": 1, "doc_id": "d2", "rank": 2.0, "query": "what are cats", "doc": "about dogs"},
    {"query_id": "q2", "doc_id": 10, "rank": 1, "query": "which animals purr", "text": "cats", "doc": "cats"},
]


def test_jsonl_run_with_ranks_and_inline_texts_is_re_ranked_without_a_collection(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "inline.jsonl", jsonl(*INLINE_RUN))
    entries = list(read_run(path))
    assert [(e.query_id, e.doc_id, e.rank, e.score, e.relevance) for e in entries[:2]] == [
        ("1", "30", 3, -3.0, 0),
        ("1", "10", 1, -1.0, 2),
    ]
    dataset = RunDataset(path, targets="score")
    assert len(dataset) == 2
    sample = dataset[0]
    assert (sample.query_id, sample.query) == ("1", "what are cats")
    assert list(sample.doc_ids) == ["10", "d2", "30"]  # ordered by rank
    assert list(sample.docs) == ["about cats", "about dogs", "about fish"]
    assert sample.targets is not None
    assert sample.targets.tolist() == [-1.0, -2.0, -3.0]
    # the inline relevance labels are the run's qrels (unlabelled lines are unjudged)
    assert sample.qrels == [
        {"query_id": "1", "doc_id": "30", "iteration": "0", "relevance": 0},
        {"query_id": "1", "doc_id": "10", "iteration": "0", "relevance": 2},
    ]
    assert dataset[1].qrels == []
    relevance = RunDataset(path, targets="relevance", depth=2)
    assert relevance[0].targets is not None
    assert relevance[0].targets.tolist() == [2.0, 0.0]
    loader = DataLoader(RunDataset(path), batch_size=2, collate_fn=LightningIRCollator())
    (batch,) = list(loader)
    assert isinstance(batch, RankBatch)
    assert not isinstance(batch, TrainBatch)
    assert batch.queries == ["what are cats", "which animals purr"]
    assert batch.docs == [["about cats", "about dogs", "about fish"], ["cats"]]
    assert batch.qrels is not None
    assert len(batch.qrels) == 2


def test_jsonl_run_with_score_and_rank_orders_by_rank_and_keeps_scores(tmp_path: Path) -> None:
    lines = [{**RUN, "doc_id": "a", "rank": 2, "score": 9.0, "query": "x", "doc": "A"}]
    lines += [{**RUN, "doc_id": "b", "rank": 1, "score": 3.5, "query": "x", "doc": "B"}]
    dataset = RunDataset(write_bytes(tmp_path / "both.jsonl", jsonl(*lines)), targets="score")
    assert list(dataset[0].doc_ids) == ["b", "a"]
    assert dataset[0].targets is not None
    assert dataset[0].targets.tolist() == [3.5, 9.0]


def test_collection_qrels_take_precedence_over_inline_relevance(corpus: Corpus, tmp_path: Path) -> None:
    lines = [{"query_id": "q1", "doc_id": "d1", "score": 1.0, "relevance": 0, "doc": "t"}]
    dataset = RunDataset(write_bytes(tmp_path / "r.jsonl", jsonl(*lines)), dataset_id=corpus.dataset_id)
    assert dataset[0].qrels is not None
    assert [q["relevance"] for q in dataset[0].qrels] == [2, 0]


def test_two_texts_for_one_query_are_refused_with_both_lines(tmp_path: Path) -> None:
    lines = [{**RUN, "doc_id": "a", "query": "cats", "doc": "A"}, {**RUN, "doc_id": "b", "query": "dogs", "doc": "B"}]
    path = write_bytes(tmp_path / "two.jsonl", jsonl(*lines))
    message = rf"line 2 of {re.escape(str(path))} gives query 'q' the text 'dogs', but line 1 gave it 'cats'"
    with pytest.raises(ValueError, match=message):
        RunDataset(path)


def test_non_finite_teacher_scores_are_refused_in_tuple_datasets(corpus: Corpus, tmp_path: Path) -> None:
    line = '{"query_id": "q1", "doc_ids": ["d1", "d2"], "scores": [1, -Infinity]}\n'
    path = write_bytes(tmp_path / "docpairs.jsonl", line)
    dataset_id = register_local(unique_id(), docs=corpus.docs, queries=corpus.queries, docpairs=path)
    with pytest.raises(ValueError, match=line_message(path, 1, "'scores' entry 2 -Infinity is not a finite number")):
        list(TupleDataset(dataset_id, targets="score"))


def test_repeated_local_ids_are_found_up_front_whatever_the_shard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    docs = write_bytes(tmp_path / "docs.tsv", "a\tx\nb\ty\nb\tz\n")  # rank 1 alone would only see the second 'b'
    queries = write_bytes(tmp_path / "queries.tsv", "q1\tx\nq1\ty\n")
    with pytest.raises(ValueError, match=line_message(docs, 3, "document id 'b' occurs more than once (first on line")):
        DocDataset(register_local(unique_id(), docs=docs))
    with pytest.raises(ValueError, match=line_message(queries, 2, "query id 'q1' occurs more than once")):
        QueryDataset(register_local(unique_id(), queries=queries))
    assert [s.doc_id for s in DocDataset(register_local(unique_id(), docs=docs), num_docs=2)] == ["b"]


def test_repeated_queries_of_a_collection_are_refused_by_run_and_tuple_datasets(corpus: Corpus, tmp_path: Path) -> None:
    queries = write_bytes(tmp_path / "queries.tsv", "q1\tcats\nq2\tx\nq1\tdogs\n")
    dataset_id = register_local(unique_id(), docs=corpus.docs, queries=queries, docpairs=corpus.docpairs)
    message = line_message(queries, 3, "query id 'q1' occurs more than once (first on line 1)")
    with pytest.raises(ValueError, match=message):
        RunDataset(corpus.trec_run, dataset_id=dataset_id)
    with pytest.raises(ValueError, match=message):
        list(TupleDataset(dataset_id))


class StreamDocs(BaseDocs):
    """Documents of a non-local ir_datasets collection (registered with ir_datasets directly)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def docs_iter(self) -> Iterator[GenericDoc]:
        return iter([GenericDoc(doc_id, f"text of {doc_id}") for doc_id in self.ids])

    def docs_cls(self) -> type:
        return GenericDoc

    def docs_store(self, field: str = "doc_id") -> LocalDocStore:
        return LocalDocStore(enumerate((LocalDoc(doc.doc_id, doc.text) for doc in self.docs_iter()), 1), Path("-"))


class StreamQueries(BaseQueries):
    """Queries of a non-local ir_datasets collection (registered with ir_datasets directly)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids

    def queries_iter(self) -> Iterator[GenericQuery]:
        return iter([GenericQuery(query_id, f"query {query_id}") for query_id in self.ids])

    def queries_cls(self) -> type:
        return GenericQuery


class StreamScoredDocs(BaseScoredDocs):
    """A run of a non-local ir_datasets collection."""

    def __init__(self, scored: list[GenericScoredDoc]) -> None:
        self.scored = scored

    def scoreddocs_iter(self) -> Iterator[GenericScoredDoc]:
        return iter(self.scored)


class StreamDocPairs(BaseDocPairs):
    """Scored training tuples of a non-local ir_datasets collection."""

    def __init__(self, tuples: list[LocalDocTuple]) -> None:
        self.tuples = tuples

    def docpairs_iter(self) -> Iterator[LocalDocTuple]:
        return iter(self.tuples)

    def docpairs_cls(self) -> type:
        return LocalDocTuple


def register_ir_datasets(ids: list[str], *components: Any) -> str:
    """Registers documents and queries with the given ids (and further components) under a fresh ir_datasets id.

    The dataset is not a local collection.
    """
    dataset_id = unique_id("lir-irds")
    ir_datasets.registry.register(dataset_id, ir_datasets.Dataset(StreamDocs(ids), StreamQueries(ids), *components))
    return dataset_id


def test_repeated_ids_of_other_collections_are_found_in_every_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    dataset_id = register_ir_datasets([f"d{i}" for i in range(22)] + ["d3"])
    with pytest.raises(ValueError, match=f"DocDataset '{dataset_id}': document 23 has the id 'd3' of document 4"):
        list(DocDataset(dataset_id))
    with pytest.raises(ValueError, match=f"QueryDataset '{dataset_id}': query 23 has the id 'd3' of query 4"):
        list(QueryDataset(dataset_id))
    assert len(list(DocDataset(dataset_id, num_docs=22))) == 22
    # 2 ranks x 2 workers: item 3 (the first 'd3') goes to rank 1's worker 1, item 22 (the repeat) to rank 0's
    # worker 1, so no worker yields both; still, every rank fails.
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        loader = DataLoader(
            DocDataset(dataset_id),
            batch_size=4,
            num_workers=2,
            collate_fn=LightningIRCollator(),
            multiprocessing_context="fork",  # the workers must inherit the ir_datasets registration
        )
        with pytest.raises(ValueError, match="document 23 has the id 'd3' of document 4"):
            list(loader)


def test_unusable_ids_of_other_collections_are_refused_while_reading() -> None:
    dataset_id = register_ir_datasets(["d1", "d 2"])
    with pytest.raises(ValueError, match=f"DocDataset '{dataset_id}': document 2 has the id 'd 2', which contains"):
        list(DocDataset(dataset_id))
    with pytest.raises(ValueError, match="query 2 has the id 'd 2', which contains whitespace"):
        list(QueryDataset(dataset_id))


def test_non_finite_scores_of_other_collections_are_refused_naming_their_position() -> None:
    run = StreamScoredDocs([GenericScoredDoc("d1", "d1", 2.0), GenericScoredDoc("d1", "d2", math.nan)])
    dataset_id = register_ir_datasets(["d1", "d2"], run)
    with pytest.raises(ValueError, match=f"entry 2 of the scoreddocs of '{dataset_id}' has score nan, not a finite"):
        RunDataset(dataset_id)
    tuples = StreamDocPairs(
        [LocalDocTuple("d1", ("d1", "d2"), (1.0, 0.0)), LocalDocTuple("d2", ("d2", "d1"), (math.inf, 0.0))]
    )
    dataset_id = register_ir_datasets(["d1", "d2"], tuples)
    with pytest.raises(ValueError, match=rf"tuple 2 of '{dataset_id}' has scores \[inf, 0.0\]; teacher scores must be"):
        list(TupleDataset(dataset_id, targets="score"))
