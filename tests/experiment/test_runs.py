"""Runs and qrels for fusion and reports: reading, checking, naming, ranking, writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.data.validation import InputFileError
from lightning_ir.experiment import load_qrels, load_run, save_run
from lightning_ir.experiment.runs import cut, name_runs, ranks
from tests.fixtures import write_collection


def test_ranks_follow_scores_then_doc_ids() -> None:
    assert ranks({"b": 1.0, "c": 2.0, "a": 1.0}) == {"c": 1, "a": 2, "b": 3}
    assert cut({"q": {"b": 1.0, "c": 2.0, "a": 1.0}}, 2) == {"q": {"c": 2.0, "a": 1.0}}


def test_in_memory_runs_are_checked() -> None:
    assert load_run({"q": {"d": 1}}) == {"q": {"d": 1.0}}
    with pytest.raises(ValueError, match="run: query 'q' has the score nan for 'd', not a finite number"):
        load_run({"q": {"d": float("nan")}})
    with pytest.raises(ValueError, match="run: query 'q' has the unusable document id 'd 1'"):
        load_run({"q": {"d 1": 1.0}})


def test_an_empty_run_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.run").write_text("")
    with pytest.raises(InputFileError, match=f"run file {tmp_path / 'empty.run'} holds no ranking"):
        load_run(tmp_path / "empty.run")


def test_runs_are_named_by_file_stem_and_ambiguity_is_refused() -> None:
    assert list(name_runs(["runs/bm25.run", "runs/dense.trec", {"q": {"d": 1.0}}])) == ["bm25", "dense", "run3"]
    assert list(name_runs({"mine": "x.run"})) == ["mine"]
    with pytest.raises(ValueError, match="runs a/x.run and b/x.run are both named 'x'"):
        name_runs(["a/x.run", "b/x.run"])


def test_save_run_keeps_foreign_files(tmp_path: Path) -> None:
    notes = tmp_path / "notes.run"
    notes.write_text("not a run\n")
    with pytest.raises(OverwriteRefusedError):
        save_run(notes, {"q": {"d": 1.0}})
    assert notes.read_text() == "not a run\n"


def test_qrels_from_a_file_a_collection_folder_or_memory(tmp_path: Path) -> None:
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("q1 0 d1 1\nq1 1 d1 2\nq1 0 d2 0\nq2 0 d3 1\n")  # d1 judged for two subtopics: the highest
    assert load_qrels(qrels) == ({"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}}, str(qrels))
    collection = write_collection(tmp_path / "collection")
    judgements, name = load_qrels(str(collection))
    assert name == str(collection)
    assert len(judgements) == 8
    assert load_qrels({"q": {"d": 1}}) == ({"q": {"d": 1}}, "qrels given in memory")
    (tmp_path / "none.txt").write_text("q1 0 d1 0\n")
    assert load_qrels(tmp_path / "none.txt")[0] == {"q1": {"d1": 0}}
    with pytest.raises(InputFileError, match="hold no relevance judgement"):
        load_qrels({})
