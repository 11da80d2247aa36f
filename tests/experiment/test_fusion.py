"""fuse_runs: RRF, CombSUM and CombMNZ against hand-computed scores, weights, normalisations, ties, bad input."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from lightning_ir.data.validation import InputFileError
from lightning_ir.experiment import fuse_runs, load_run, save_run
from tests.experiment.conftest import RUN_A, RUN_B, write_trec


def assert_run(fused: dict[str, dict[str, float]], expected: dict[str, dict[str, float]]) -> None:
    """Same queries, documents in the same order, scores equal up to rounding."""
    assert list(fused) == list(expected)
    for query_id, scores in expected.items():
        assert list(fused[query_id]) == list(scores), query_id
        assert list(fused[query_id].values()) == pytest.approx(list(scores.values()), rel=1e-12, abs=1e-12)


def test_rrf_is_the_sum_of_reciprocal_ranks_from_one_with_k_60(run_files: tuple[Path, Path]) -> None:
    # q1: A ranks a, b, c; B ranks b, d, a. Queries found in one run only keep that run's contribution.
    expected = {
        "q1": {"b": 1 / 62 + 1 / 61, "a": 1 / 61 + 1 / 63, "d": 1 / 62, "c": 1 / 63},
        "q2": {"x": 1 / 61},
        "q3": {"y": 1 / 61},
    }
    assert_run(fuse_runs(list(run_files)), expected)
    assert_run(fuse_runs([RUN_A, RUN_B], method="rrf", k=60), expected)


def test_weighted_rrf_and_another_k() -> None:
    fused = fuse_runs([RUN_A, RUN_B], weights=[2.0, 1.0], k=10)
    expected = {"b": 2 / 12 + 1 / 11, "a": 2 / 11 + 1 / 13, "c": 2 / 13, "d": 1 / 12}
    assert_run({"q1": fused["q1"]}, {"q1": dict(sorted(expected.items(), key=lambda item: -item[1]))})


def test_rrf_ranks_tied_documents_by_doc_id_and_fused_ties_are_ordered_by_doc_id() -> None:
    # In run 1, z and y tie: y (smaller id) gets rank 1. Fused, w and v tie: v comes first.
    fused = fuse_runs([{"q": {"z": 1.0, "y": 1.0, "w": 0.5}}, {"q": {"v": 7.0}}], k=60)
    assert_run(fused, {"q": {"v": 1 / 61, "y": 1 / 61, "z": 1 / 62, "w": 1 / 63}})


def test_combsum_raw_and_min_max_with_weights() -> None:
    raw = fuse_runs([RUN_A, RUN_B], method="combsum")
    assert_run({"q1": raw["q1"]}, {"q1": {"a": 3.1, "b": 2.9, "c": 1.0, "d": 0.5}})
    # min-max per query: A -> a 1, b 0.5, c 0; B -> b 1, d 0.5, a 0
    plain = fuse_runs([RUN_A, RUN_B], method="combsum", normalization="min-max")
    assert_run({"q1": plain["q1"]}, {"q1": {"b": 1.5, "a": 1.0, "d": 0.5, "c": 0.0}})
    weighted = fuse_runs([RUN_A, RUN_B], method="combsum", normalization="min-max", weights=[0.5, 2.0])
    assert_run({"q1": weighted["q1"]}, {"q1": {"b": 2.25, "d": 1.0, "a": 0.5, "c": 0.0}})
    assert weighted["q2"] == {"x": 0.0}  # one document: min-max makes it 0


def test_combmnz_multiplies_by_the_number_of_runs_that_retrieved_the_document() -> None:
    plain = fuse_runs([RUN_A, RUN_B], method="combmnz", normalization="min-max")
    assert_run({"q1": plain["q1"]}, {"q1": {"b": 3.0, "a": 2.0, "d": 0.5, "c": 0.0}})
    weighted = fuse_runs([RUN_A, RUN_B], method="combmnz", normalization="min-max", weights=[0.5, 2.0])
    assert_run({"q1": weighted["q1"]}, {"q1": {"b": 4.5, "a": 1.0, "d": 1.0, "c": 0.0}})


def test_z_score_uses_the_population_standard_deviation() -> None:
    def z(scores: dict[str, float]) -> dict[str, float]:
        mean, std = statistics.mean(scores.values()), statistics.pstdev(scores.values())
        return {doc_id: (score - mean) / std for doc_id, score in scores.items()}

    za, zb = z(RUN_A["q1"]), z(RUN_B["q1"])
    combsum = {doc_id: za.get(doc_id, 0.0) + zb.get(doc_id, 0.0) for doc_id in "abcd"}
    fused = fuse_runs([RUN_A, RUN_B], method="combsum", normalization="z-score")["q1"]
    assert fused == pytest.approx(combsum, abs=1e-9)
    mnz = fuse_runs([RUN_A, RUN_B], method="combmnz", normalization="z-score", weights=[1.0, 3.0])["q1"]
    expected = {d: (za.get(d, 0.0) + 3 * zb.get(d, 0.0)) * ((d in za) + (d in zb)) for d in "abcd"}
    assert mnz == pytest.approx(expected, abs=1e-9)


def test_depth_keeps_the_top_documents(run_files: tuple[Path, Path]) -> None:
    fused = fuse_runs(list(run_files), depth=2)
    assert list(fused["q1"]) == ["b", "a"]
    assert list(fused["q2"]) == ["x"]


def test_save_run_writes_the_fused_ranking_and_reads_back(tmp_path: Path, run_files: tuple[Path, Path]) -> None:
    fused = fuse_runs(list(run_files))
    path = save_run(tmp_path / "out" / "fused.run", fused, tag="rrf")
    lines = path.read_text().splitlines()
    assert lines[0].split() == ["q1", "Q0", "b", "1", repr(1 / 62 + 1 / 61), "rrf"]
    assert load_run(path) == fused


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "borda"}, "method must be one of the allowed values 'rrf', 'combsum', 'combmnz'; got 'borda'"),
        ({"normalization": "max"}, "normalization must be one of the allowed values 'min-max', 'z-score', None"),
        ({"normalization": "min-max"}, "normalization='min-max' does not apply to method='rrf'"),
        ({"weights": [1.0]}, "weights has 1 values for 2 runs"),
        ({"weights": [1.0, -1.0]}, "weights must be finite numbers >= 0, got -1.0"),
        ({"weights": [0, 0]}, "weights are all 0"),
        ({"k": -1}, "k must be a number >= 0, got -1"),
        ({"depth": 0}, "depth=0 is not supported"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match="^fuse_runs: ") as error:
        fuse_runs([RUN_A, RUN_B], **kwargs)
    assert message in str(error.value)


def test_one_run_is_refused() -> None:
    with pytest.raises(ValueError, match="at least two runs"):
        fuse_runs([RUN_A])


def test_a_missing_run_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"run file {tmp_path / 'missing.run'} does not exist"):
        fuse_runs([RUN_A, tmp_path / "missing.run"])


def test_a_document_twice_in_a_query_is_refused_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "twice.run"
    path.write_text("q1 Q0 a 1 2.0 t\nq1 Q0 b 2 1.0 t\nq1 Q0 a 3 0.5 t\n")
    with pytest.raises(InputFileError, match=f"line 3 of {path}: document 'a' of query 'q1' already on line 1"):
        fuse_runs([path, write_trec(tmp_path / "ok.run", RUN_A)])
