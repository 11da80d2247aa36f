"""RunDataset: run sources, depth, sampling strategies, targets and input validation.

The test run (see conftest) ranks q1: d2 d3 d1 d5 (scores 9, 8, 7.5, 6), q2: d4 d5 d1 (5, 4, 3), q3: d5 d2 (2, 1).
Qrels: q1 d1=2, d2=0; q2 d4 relevant to subtopics 1 and 2, d1 to subtopic 2; q3 d6=1 (not retrieved).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import torch

from lightning_ir.data import RunDataset
from lightning_ir.data.ir_datasets_utils import register_local

from .conftest import Corpus, unique_id, write


def run(corpus: Corpus, **kwargs) -> RunDataset:
    return RunDataset(corpus.trec_run, dataset_id=corpus.dataset_id, **kwargs)


def targets(dataset: RunDataset, index: int) -> list[float]:
    sample_targets = dataset[index].targets
    assert sample_targets is not None
    return [round(value, 4) for value in sample_targets.tolist()]


def test_trec_run_with_collection(corpus: Corpus) -> None:
    dataset = run(corpus)
    assert len(dataset) == 3
    sample = dataset[0]
    assert (sample.query_id, sample.query) == ("q1", "what are cats")
    assert list(sample.doc_ids) == ["d2", "d3", "d1", "d5"]
    assert list(sample.docs) == [
        "Dogs Dogs are loyal.",
        "Fish swim.",
        "Cats Cats are small felines.",
        "Cars Cars drive.",
    ]
    assert sample.targets is None
    assert sample.qrels is not None
    assert [q["doc_id"] for q in sample.qrels] == ["d1", "d2"]
    assert list(run(corpus, depth=2)[1].doc_ids) == ["d4", "d5"]


def test_run_from_an_id_and_from_the_file_name(corpus: Corpus, tmp_path: Path) -> None:
    assert list(RunDataset(corpus.dataset_id)[0].doc_ids) == ["d2", "d3", "d1", "d5"]
    named = shutil.copy(corpus.trec_run, tmp_path / f"{corpus.dataset_id}.bm25.run")
    assert RunDataset(named)[2].docs == ["Cars Cars drive.", "Dogs Dogs are loyal."]
    nested = shutil.copy(corpus.trec_run, tmp_path / f"{corpus.dataset_id}__scored.run")
    assert RunDataset(nested, targets="relevance")[0].targets is not None


def test_jsonl_run_carries_its_texts(corpus: Corpus) -> None:
    dataset = RunDataset(corpus.jsonl_run, targets="score")
    assert len(dataset) == 2
    sample = dataset[0]
    assert (sample.query, list(sample.doc_ids), list(sample.docs)) == (
        "cats?",
        ["d2", "d1"],
        ["about dogs", "about cats"],
    )
    assert sample.qrels is None
    assert targets(dataset, 0) == [5.0, 3.0]
    assert dataset[1].docs == ["text only in the run"]
    with_collection = RunDataset(corpus.jsonl_run, targets="relevance", dataset_id=corpus.dataset_id)
    assert targets(with_collection, 0) == [0.0, 2.0]


@pytest.mark.parametrize(
    ("kind", "expected_q1", "expected_q2"),
    [
        ("relevance", [0.0, 0.0, 2.0, 0.0], [1.0, 0.0, 1.0]),
        ("subtopic_relevance", [0.0, 0.0, 1.0, 0.0], [2.0, 0.0, 1.0]),
        ("rank", [4.0, 3.0, 2.0, 1.0], [3.0, 2.0, 1.0]),
        ("score", [9.0, 8.0, 7.5, 6.0], [5.0, 4.0, 3.0]),
    ],
)
def test_targets(corpus: Corpus, kind: str, expected_q1: list[float], expected_q2: list[float]) -> None:
    dataset = run(corpus, targets=kind)
    assert targets(dataset, 0) == expected_q1
    assert targets(dataset, 1) == expected_q2


def test_normalized_targets(corpus: Corpus) -> None:
    assert targets(run(corpus, targets="score", normalize_targets=True), 0) == [1.0, 0.6667, 0.5, 0.0]
    assert targets(run(corpus, targets="rank", normalize_targets=True), 1) == [1.0, 0.5, 0.0]
    assert targets(run(corpus, targets="relevance", normalize_targets=True), 0) == [0.0, 0.0, 1.0, 0.0]
    assert targets(run(corpus, targets="relevance", normalize_targets=True), 2) == [0.0, 0.0]  # all equal, not > 0
    assert targets(run(corpus, targets="score", normalize_targets=True, depth=1), 0) == [1.0]  # all equal and > 0


def test_add_non_retrieved_docs(corpus: Corpus) -> None:
    dataset = run(corpus, targets="score", add_non_retrieved_docs=True)
    assert list(dataset[2].doc_ids) == ["d5", "d2", "d6"]
    assert targets(dataset, 2) == [2.0, 1.0, 0.0]  # lowest retrieved score - 1
    assert list(dataset[0].doc_ids) == ["d2", "d3", "d1", "d5"]  # q1's judged documents were all retrieved
    assert list(run(corpus, depth=1, add_non_retrieved_docs=True)[0].doc_ids) == ["d2", "d1"]
    assert targets(run(corpus, targets="rank", add_non_retrieved_docs=True), 2) == [3.0, 2.0, 1.0]


def test_top_sampling(corpus: Corpus) -> None:
    dataset = run(corpus, sample_size=2, targets="rank")
    assert list(dataset[0].doc_ids) == ["d2", "d3"]
    assert targets(dataset, 0) == [4.0, 3.0]
    assert list(run(corpus, sample_size=10)[0].doc_ids) == ["d2", "d3", "d1", "d5"]


def draws(dataset: RunDataset, n: int = 300) -> list[tuple[str, ...]]:
    torch.manual_seed(0)
    return [tuple(dataset[0].doc_ids) for _ in range(n)]


RANK_ORDER = ["d2", "d3", "d1", "d5"]


def test_random_sampling(corpus: Corpus) -> None:
    dataset = run(corpus, sample_size=2, sampling_strategy="random", targets="rank")
    samples = draws(dataset)
    assert all(len(s) == 2 and RANK_ORDER.index(s[0]) < RANK_ORDER.index(s[1]) for s in samples)
    assert len(set(samples)) == 6  # every pair of the 4 documents occurs
    assert draws(dataset) == samples  # reproducible under a seed
    torch.manual_seed(0)
    sample = dataset[0]
    assert sample.targets is not None
    assert sample.targets.tolist() == [4.0 - RANK_ORDER.index(d) for d in sample.doc_ids]
    assert list(run(corpus, sampling_strategy="random")[0].doc_ids) == RANK_ORDER  # sample_size -1: everything


def test_log_random_sampling_prefers_top_ranks(corpus: Corpus) -> None:
    samples = draws(run(corpus, sample_size=1, sampling_strategy="log_random"), n=2000)
    counts = Counter(s[0] for s in samples)
    assert set(counts) == set(RANK_ORDER)
    assert counts["d2"] > counts["d3"] > counts["d5"]
    pairs = draws(run(corpus, sample_size=2, sampling_strategy="log_random"))
    assert all(RANK_ORDER.index(p[0]) < RANK_ORDER.index(p[1]) for p in pairs)


def test_top_and_random_sampling(corpus: Corpus) -> None:
    samples = draws(run(corpus, sample_size=3, sampling_strategy="top_and_random"))
    assert {s[:2] for s in samples} == {("d2", "d3")}
    assert {s[2] for s in samples} == {"d1", "d5"}


def test_single_relevant_sampling(corpus: Corpus) -> None:
    with pytest.warns(UserWarning, match="1 of 3 queries .* have no relevant document"):
        dataset = run(corpus, sample_size=2, sampling_strategy="single_relevant", targets="relevance")
    assert len(dataset) == 2
    assert list(dataset[0].doc_ids) == ["d1", "d2"]
    assert targets(dataset, 0) == [2.0, 0.0]
    samples = draws(dataset)  # q1 has a single relevant document
    assert set(samples) == {("d1", "d2")}
    torch.manual_seed(0)
    q2 = {tuple(dataset[1].doc_ids) for _ in range(100)}
    assert q2 == {("d4", "d5"), ("d1", "d5")}
    with pytest.warns(UserWarning, match="have no relevant document in their ranking"):
        everything = run(corpus, sampling_strategy="single_relevant")
    assert list(everything[0].doc_ids) == ["d1", "d2", "d3", "d5"]


def test_bad_options(corpus: Corpus) -> None:
    with pytest.raises(ValueError, match="sampling_strategy must be one of"):
        run(corpus, sampling_strategy="best")
    with pytest.raises(ValueError, match="targets must be None or one of"):
        run(corpus, targets="clicks")
    with pytest.raises(ValueError, match=r"texts.jsonl has no qrels"):
        RunDataset(corpus.jsonl_run, targets="relevance")
    with pytest.raises(ValueError, match=r"has no scoreddocs"):
        RunDataset(register_local(unique_id(), docs=corpus.docs))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 1.0\n", r"line 2 of {path}: has 5 columns, expected 6 \(query_id Q0 doc_id"),
        ("q1 d1 2.0\n", r"line 1 of {path}: has 3 columns, expected 6"),
        ("q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 high t\n", "line 2 of {path}: score 'high' is not a number"),
        ("q1 Q0 d1 first 2.0 t\n", "line 1 of {path}: rank 'first' is not an integer"),
        ("q1 Q0 d1 1 2.0 t\nq1 Q0 d1 2 1.0 t\n", "line 2 of {path} repeats document 'd1' for query 'q1'"),
        ("q1 Q0 d1 1 2.0 t\nq7 Q0 d1 1 1.0 t\n", "line 2 of {path} names query 'q7', not in"),
    ],
)
def test_malformed_trec_runs(corpus: Corpus, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "bad.run", text)
    with pytest.raises(ValueError, match=message.format(path=path)):
        RunDataset(path, dataset_id=corpus.dataset_id)


def test_malformed_jsonl_run(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.jsonl",
        '{"query_id": "q", "doc_id": "d", "score": 1, "query": "x", "doc": "y"}\n{"query_id": "q"}\n',
    )
    with pytest.raises(ValueError, match=f"line 2 of {path}: has no 'doc_id' key"):
        RunDataset(path)
    path = write(
        tmp_path / "rank.jsonl",
        '{"query_id": "q", "doc_id": "d", "score": 1, "rank": 1}\n{"query_id": "q", "doc_id": "e", "score": 0}\n',
    )
    with pytest.raises(ValueError, match=f"line 2 of {path}: 'rank' must be given on every line or on none"):
        RunDataset(path)


def test_unknown_document_names_the_line(corpus: Corpus, tmp_path: Path) -> None:
    path = write(tmp_path / "unknown-doc.run", "q1 Q0 d1 1 2.0 t\nq1 Q0 zz 2 1.0 t\n")
    dataset = RunDataset(path, dataset_id=corpus.dataset_id)
    with pytest.raises(
        ValueError, match=f"line 2 of {path} names document 'zz', which is not in the collection '{corpus.dataset_id}'"
    ):
        dataset[0]


def test_missing_file_unknown_id_and_missing_collection(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"run file {tmp_path / 'nope.run'} does not exist"):
        RunDataset(tmp_path / "nope.run")
    with pytest.raises(ValueError, match="unknown dataset id 'no/such/run'"):
        RunDataset("no/such/run")
    path = write(tmp_path / "bm25.run", "q1 Q0 d1 1 2.0 t\n")
    with pytest.raises(ValueError, match=f"line 1 of {path} has no query text and no collection is known"):
        RunDataset(path)


def test_a_run_named_with_dashes_resolves_to_its_dataset(corpus: Corpus, tmp_path: Path) -> None:
    """Earlier versions named runs after the dataset with ``/`` written as ``-``."""
    dashed_id = f"{unique_id()}/trec-dl/judged"  # a registered id whose dashed name fits only itself
    register_local(dashed_id, docs=corpus.docs, queries=corpus.queries, qrels=corpus.qrels)
    named = shutil.copy(corpus.trec_run, tmp_path / f"{dashed_id.replace('/', '-')}.run")
    assert RunDataset(named)[2].docs == ["Cars Cars drive.", "Dogs Dogs are loyal."]

    twin = f"{unique_id()}-x"
    register_local(f"{twin}/a-b", docs=corpus.docs, queries=corpus.queries)
    register_local(f"{twin}/a/b", docs=corpus.docs, queries=corpus.queries)
    ambiguous = shutil.copy(corpus.trec_run, tmp_path / f"{twin}-a-b.run")
    with pytest.raises(ValueError, match=r"fits the dataset ids \[.*a-b', .*a/b'\]; pass dataset_id"):
        RunDataset(ambiguous)
    assert RunDataset(ambiguous, dataset_id=f"{twin}/a/b")[0].query_id


def test_a_dashed_run_name_finds_the_registered_training_sets() -> None:
    from lightning_ir.data.run_dataset import dashed_dataset_ids

    assert dashed_dataset_ids("msmarco-passage-train-rank-distillm-set-encoder") == [
        "msmarco-passage/train/rank-distillm/set-encoder"
    ]
    assert dashed_dataset_ids("msmarco-passage-trec-dl-2019-judged") == ["msmarco-passage/trec-dl-2019/judged"]
