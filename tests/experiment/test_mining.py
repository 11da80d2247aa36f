"""Hard-negative mining on the small local collection: counts, exclusions, rank window, seeds, errors, first stages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.data import TupleDataset
from lightning_ir.data.local_formats import read_doc_tuples
from lightning_ir.data.validation import InputFileError
from lightning_ir.experiment import BM25Stage, HardNegativeMiner, NegativeSampler
from lightning_ir.experiment.training_tuples import MANIFEST, is_tuples_folder
from lightning_ir.retrieve import BM25SearchConfig
from tests.experiment.conftest import write_trec
from tests.fixtures import TOPICS, write_collection

TOPIC_NAMES = [topic for topic, _ in TOPICS]
ALL_DOCS = [f"d-{topic}" for topic in TOPIC_NAMES] + [f"d-{topic}-x" for topic in TOPIC_NAMES]


def full_run() -> dict[str, dict[str, float]]:
    """Every query ranks all 16 documents: its relevant document at rank 2, the others in a rotating order."""
    run = {}
    for i, topic in enumerate(TOPIC_NAMES):
        others = [doc for doc in ALL_DOCS if doc != f"d-{topic}"]
        others = others[i:] + others[:i]
        ranking = [others[0], f"d-{topic}", *others[1:]]
        run[f"q-{topic}"] = {doc_id: 100.0 - rank for rank, doc_id in enumerate(ranking)}
    return run


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """The 8-query collection with a second judged-relevant document for q-apple (d-ocean-x, relevance 2)."""
    folder = write_collection(tmp_path / "collection")
    with (folder / "qrels.txt").open("a") as file:
        file.write("q-apple 0 d-ocean-x 2\nq-ocean 0 d-ocean-x 0\n")
    return folder


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    return write_trec(tmp_path / "train.run", full_run())


def mine(collection: Path, output: Path, run: Path, **options: object) -> HardNegativeMiner:
    miner = HardNegativeMiner(query_dataset=str(collection), output_dir=output, run=run, **options)
    miner.run()
    return miner


def judged_relevant(collection: Path) -> dict[str, set[str]]:
    relevant: dict[str, set[str]] = {}
    for line in (collection / "qrels.txt").read_text().splitlines():
        query_id, _, doc_id, relevance = line.split()
        if int(relevance) > 0:
            relevant.setdefault(query_id, set()).add(doc_id)
    return relevant


def test_tuples_have_the_requested_counts_and_no_judged_positive_among_negatives(
    tmp_path: Path, collection: Path, run_file: Path
) -> None:
    result = HardNegativeMiner(str(collection), tmp_path / "mined", run=run_file, num_negatives=5, min_rank=1).run()
    tuples = list(read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl"))
    relevant = judged_relevant(collection)
    assert result.num_tuples == len(tuples) == 9  # one per judged-relevant document (q-apple has two)
    assert result.num_queries == 8
    assert result.skipped == {}
    for item in tuples:
        assert len(item.doc_ids) == 6
        assert len(set(item.doc_ids)) == 6
        assert item.doc_ids[0] in relevant[item.query_id]
        assert not set(item.doc_ids[1:]) & relevant[item.query_id]
        assert item.scores is None
    apple = {item.doc_ids[0] for item in tuples if item.query_id == "q-apple"}
    assert apple == {"d-apple", "d-ocean-x"}


def test_judged_non_relevant_and_relevant_documents_when_not_excluded(
    tmp_path: Path, collection: Path, run_file: Path
) -> None:
    mine(collection, tmp_path / "mined", run_file, num_negatives=15, min_rank=1, exclude_relevant=False)
    tuples = {item.doc_ids[0]: item for item in read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl")}
    # without the exclusion, q-apple's other positive may be a negative of its tuple, never the tuple's own positive
    assert "d-ocean-x" in tuples["d-apple"].doc_ids[1:]
    assert "d-apple" not in tuples["d-apple"].doc_ids[1:]
    assert "d-ocean-x" in tuples["d-ocean"].doc_ids[1:]  # judged non-relevant (0): a negative like any other


def test_negatives_come_from_the_rank_window(tmp_path: Path, collection: Path, run_file: Path) -> None:
    mine(collection, tmp_path / "mined", run_file, num_negatives=3, min_rank=4, max_rank=8)
    ranks = {qid: {doc: rank for rank, doc in enumerate(scores, start=1)} for qid, scores in full_run().items()}
    for item in read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl"):
        assert all(4 <= ranks[item.query_id][doc_id] <= 8 for doc_id in item.doc_ids[1:])


def test_top_sampling_takes_the_best_ranked_candidates(tmp_path: Path, collection: Path, run_file: Path) -> None:
    mine(collection, tmp_path / "mined", run_file, num_negatives=2, min_rank=1, sampling="top")
    ranking = list(full_run()["q-guitar"])
    (item,) = [t for t in read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl") if t.query_id == "q-guitar"]
    assert list(item.doc_ids) == ["d-guitar", ranking[0], ranking[2]]  # rank 2 is the positive itself


def test_mining_is_deterministic_with_a_seed(tmp_path: Path, collection: Path, run_file: Path) -> None:
    files = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        mine(collection, tmp_path / name, run_file, num_negatives=4, min_rank=1, seed=seed)
        files[name] = (tmp_path / name / "docpairs.jsonl").read_text()
    assert files["a"] == files["b"]
    assert files["a"] != files["c"]


def test_a_query_negatives_do_not_depend_on_the_other_queries(tmp_path: Path, collection: Path, run_file: Path) -> None:
    sampler = NegativeSampler(num_negatives=4, min_rank=1, seed=3)
    ranking = list(full_run()["q-soccer"])
    alone, _ = sampler.tuples("q-soccer", ranking, {"d-soccer": 1})
    mine(collection, tmp_path / "mined", run_file, num_negatives=4, min_rank=1, seed=3)
    (mined,) = [t for t in read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl") if t.query_id == "q-soccer"]
    assert alone == [mined]


def test_the_folder_is_a_tuple_dataset_with_the_collection_texts(
    tmp_path: Path, collection: Path, run_file: Path
) -> None:
    mine(collection, tmp_path / "mined", run_file, num_negatives=3)
    samples = list(TupleDataset(str(tmp_path / "mined")).iter_all())
    texts = dict(line.split("\t") for line in (collection / "docs.tsv").read_text().splitlines())
    assert len(samples) == 9
    for sample in samples:
        assert sample.docs == [texts[doc_id] for doc_id in sample.doc_ids]
        assert sample.targets.tolist() == [1.0, 0.0, 0.0, 0.0]
        assert {qrel["doc_id"] for qrel in sample.qrels if qrel["relevance"] > 0} >= {sample.doc_ids[0]}
    manifest = json.loads((tmp_path / "mined" / MANIFEST).read_text())
    assert manifest["num_tuples"] == 9
    assert manifest["mining"]["num_negatives"] == 3
    referenced = {doc_id for sample in samples for doc_id in sample.doc_ids}
    assert manifest["num_docs"] == len(referenced) == len((tmp_path / "mined" / "docs.jsonl").read_text().splitlines())


def test_mining_again_replaces_its_own_folder_and_the_dataset_reads_the_new_one(
    tmp_path: Path, collection: Path, run_file: Path
) -> None:
    mine(collection, tmp_path / "mined", run_file, num_negatives=2, seed=1)
    first = [s.doc_ids for s in TupleDataset(str(tmp_path / "mined")).iter_all()]
    mine(collection, tmp_path / "mined", run_file, num_negatives=6, seed=2)
    second = [s.doc_ids for s in TupleDataset(str(tmp_path / "mined")).iter_all()]
    assert {len(ids) for ids in first} == {3}
    assert {len(ids) for ids in second} == {7}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".mined")) == []


def test_a_foreign_folder_is_refused_and_kept(tmp_path: Path, collection: Path, run_file: Path) -> None:
    foreign = tmp_path / "mined"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OverwriteRefusedError, match="training tuples folder"):
        mine(collection, foreign, run_file)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert not is_tuples_folder(foreign)


def test_a_run_with_unknown_query_ids_is_refused(tmp_path: Path, collection: Path) -> None:
    run = full_run()
    run["q-unknown"] = {"d-apple": 1.0}
    path = write_trec(tmp_path / "bad.run", run)
    with pytest.raises(InputFileError, match=r"bad\.run ranks 1 queries .*'q-unknown'"):
        mine(collection, tmp_path / "mined", path)
    assert not (tmp_path / "mined").exists()


def test_a_run_of_unknown_documents_is_refused(tmp_path: Path, collection: Path) -> None:
    run = full_run()
    run["q-apple"]["d-missing"] = 99.5
    path = write_trec(tmp_path / "docs.run", run)
    with pytest.raises(InputFileError, match=r"not in the collection, e\.g\. \['d-missing'\]"):
        mine(collection, tmp_path / "mined", path, num_negatives=15, min_rank=1)
    assert not (tmp_path / "mined").exists()


def test_queries_without_qrels_are_refused(tmp_path: Path, collection: Path, run_file: Path) -> None:
    (collection / "qrels.txt").unlink()
    unjudged = tmp_path / "unjudged"
    unjudged.mkdir()
    for name in ("docs.tsv", "queries.tsv"):
        (unjudged / name).write_text((collection / name).read_text())
    with pytest.raises(ValueError, match="has no qrels; mining needs"):
        mine(unjudged, tmp_path / "mined", run_file)


def test_a_missing_run_file_is_refused(tmp_path: Path, collection: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing.run does not exist"):
        mine(collection, tmp_path / "mined", tmp_path / "missing.run")


def test_queries_with_too_few_candidates_are_skipped(tmp_path: Path, collection: Path, run_file: Path) -> None:
    result = HardNegativeMiner(str(collection), tmp_path / "m", run=run_file, num_negatives=15, min_rank=1).run()
    assert result.skipped == {"too_few_candidates": 1}  # q-apple: 16 documents less its 2 positives is 14
    assert result.num_queries == 7
    with pytest.raises(ValueError, match="no query of .* yields a tuple .*too_few_candidates"):
        HardNegativeMiner(str(collection), tmp_path / "n", run=run_file, num_negatives=20).run()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "give either run"),
        ({"run": "a.run", "first_stage": BM25Stage("index")}, "give either run"),
        ({"run": "a.run", "num_negatives": 0}, "num_negatives must be a positive integer"),
        ({"run": "a.run", "min_rank": 5, "max_rank": 4}, "max_rank .4. must not be below min_rank .5."),
        ({"run": "a.run", "sampling": "hardest"}, "sampling must be one of the allowed values 'random', 'top'"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HardNegativeMiner("collection", "out", **options)  # type: ignore[arg-type]


def test_bm25_first_stage_ranks_the_queries_and_its_run_is_kept(tmp_path: Path, collection: Path) -> None:
    stage = BM25Stage(tmp_path / "bm25", search_config=BM25SearchConfig(k=16))
    result = HardNegativeMiner(
        str(collection), tmp_path / "mined", first_stage=stage, num_negatives=2, min_rank=1, max_rank=16
    ).run()
    assert result.run == tmp_path / "mined" / "runs" / "bm25.run"
    assert result.run.is_file()
    assert result.num_tuples == 9
    assert is_tuples_folder(tmp_path / "mined")
    assert (tmp_path / "bm25").is_dir()
    assert json.loads((tmp_path / "mined" / MANIFEST).read_text())["mining"]["run"] == "runs/bm25.run"
    assert len(list(TupleDataset(str(tmp_path / "mined")).iter_all())) == 9


def test_a_document_judged_twice_counts_with_its_highest_label(tmp_path: Path, run_file: Path) -> None:
    folder = write_collection(tmp_path / "collection")
    with (folder / "qrels.txt").open("a") as file:  # TREC iterations: relevant in one, not in the other
        file.write("q-apple 1 d-ocean-x 1\nq-apple 2 d-ocean-x 0\n")
    mine(folder, tmp_path / "mined", run_file, num_negatives=14, min_rank=1)
    tuples = list(read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl"))
    assert {item.doc_ids[0] for item in tuples if item.query_id == "q-apple"} == {"d-apple", "d-ocean-x"}
    assert not any("d-ocean-x" in item.doc_ids[1:] for item in tuples if item.query_id == "q-apple")


def test_documents_below_min_relevance_are_no_positives_and_no_negatives(
    tmp_path: Path, collection: Path, run_file: Path
) -> None:
    mine(collection, tmp_path / "mined", run_file, num_negatives=14, min_rank=1, min_relevance=2)
    tuples = list(read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl"))
    assert [item.doc_ids[0] for item in tuples] == ["d-ocean-x"]  # the only document judged 2
    assert "d-apple" not in tuples[0].doc_ids[1:]  # judged 1 for q-apple: relevant, so never its negative


def test_min_relevance_must_be_positive() -> None:
    with pytest.raises(ValueError, match="min_relevance must be a positive integer"):
        NegativeSampler(min_relevance=0)


def test_mining_again_from_the_run_kept_in_the_output_folder(tmp_path: Path, collection: Path) -> None:
    stage = BM25Stage(tmp_path / "bm25", search_config=BM25SearchConfig(k=16))
    HardNegativeMiner(str(collection), tmp_path / "mined", first_stage=stage, num_negatives=2, min_rank=1).run()
    kept = tmp_path / "mined" / "runs" / "bm25.run"
    text = kept.read_text()
    result = HardNegativeMiner(str(collection), tmp_path / "mined", run=kept, num_negatives=3, min_rank=1).run()
    assert result.run == kept
    assert kept.read_text() == text  # copied into the new folder before the old one was replaced
    assert json.loads((tmp_path / "mined" / MANIFEST).read_text())["mining"]["run"] == "runs/bm25.run"
    assert all(len(item.doc_ids) == 4 for item in read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl"))
