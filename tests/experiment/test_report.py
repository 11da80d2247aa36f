"""evaluate_runs: means and per-query values, significance marks, report files and plots, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import ir_measures
import pytest

from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.data.validation import InputFileError
from lightning_ir.experiment import ExperimentReport, evaluate_runs
from lightning_ir.experiment.report_files import is_report_dir
from tests.experiment.conftest import BAD, BAD_RR, GOOD, QRELS, png_size, write_trec


@pytest.fixture(scope="module")
def report() -> ExperimentReport:
    return evaluate_runs(QRELS, {"bad": BAD, "good": GOOD, "same": dict(BAD)}, metrics=["nDCG@10", "R@5", "RR@10"])


def test_means_and_per_query_values_are_ir_measures(report: ExperimentReport) -> None:
    assert report.systems == ["bad", "good", "same"]
    assert report.baseline == "bad"
    assert report.query_ids == list(QRELS)
    for system, run in (("bad", BAD), ("good", GOOD)):
        for name in report.measures:
            measure = ir_measures.parse_measure(name)
            expected = {m.query_id: m.value for m in ir_measures.iter_calc([measure], QRELS, run)}
            assert report.per_query[system][name] == pytest.approx(expected)
            assert report.means[system][name] == pytest.approx(
                ir_measures.calc_aggregate([measure], QRELS, run)[measure]
            )
    assert report.means["good"] == {"nDCG@10": 1.0, "R@5": 1.0, "RR@10": 1.0}
    assert report.means["bad"]["RR@10"] == pytest.approx(BAD_RR)
    assert report.means["bad"]["R@5"] == pytest.approx(0.8)


def test_a_large_effect_is_marked_and_identical_runs_are_not(report: ExperimentReport) -> None:
    for measure in ("nDCG@10", "RR@10"):
        good = report.comparison("good", measure)
        assert good.difference > 0.5
        assert good.significant_t_test
        assert good.significant_randomisation
    # R@5 differs on 6 of 30 queries only: the exact randomisation p-value is 2 / 2**6, 0.0625 after Holm
    recall = report.comparison("good", "R@5")
    assert recall.difference == pytest.approx(0.2)
    assert recall.significant_t_test
    assert not recall.significant_randomisation
    for measure in report.measures:
        same = report.comparison("same", measure)
        assert same.difference == 0.0
        assert same.t_test_p == same.randomisation_p == 1.0
        assert not same.significant_t_test
        assert not same.significant_randomisation
    with pytest.raises(KeyError):
        report.comparison("bad", "nDCG@10")


def test_p_values_are_holm_corrected_across_systems(report: ExperimentReport) -> None:
    for measure in report.measures:
        good, same = report.comparison("good", measure), report.comparison("same", measure)
        # two systems: the smaller p-value is doubled, the larger one is at least that and at most 1
        assert good.t_test_p_holm == pytest.approx(min(1.0, 2 * good.t_test_p))
        assert good.randomisation_p_holm == pytest.approx(min(1.0, 2 * good.randomisation_p))
        assert same.t_test_p_holm == 1.0


def test_the_printed_table_marks_significant_differences(report: ExperimentReport) -> None:
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == "3 system(s) on 30 judged queries (qrels given in memory)"
    assert lines[1].split() == ["system", "nDCG@10", "R@5", "RR@10"]
    assert lines[2].split()[:2] == ["bad", "(baseline)"]
    assert lines[3].split() == ["good", "1.0000", "†‡", "1.0000", "†", "1.0000", "†‡"]
    assert "†" not in lines[4]
    assert "‡" not in lines[4]
    assert "Holm-Bonferroni corrected over 2 systems" in text


def test_the_report_folder_holds_markdown_csv_and_valid_pngs(tmp_path: Path, report: ExperimentReport) -> None:
    files = report.write(tmp_path / "report")
    names = sorted(path.name for path in files)
    assert names == sorted(
        [
            "report.md",
            "report.csv",
            "differences-nDCG@10.png",
            "differences-R@5.png",
            "differences-RR@10.png",
            "cutoffs-nDCG.png",
            "cutoffs-R.png",
            "cutoffs-RR.png",
        ]
    )
    assert sorted(path.name for path in (tmp_path / "report").iterdir()) == names
    for path in files:
        if path.suffix == ".png":
            width, height = png_size(path)
            assert width >= 300
            assert height >= 200
            assert path.stat().st_size > 5000
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert markdown.startswith("# Lightning IR experiment report\n")
    assert "| good | 1.0000 †‡ | 1.0000 † | 1.0000 †‡ |" in markdown
    assert "![cutoffs-nDCG.png](cutoffs-nDCG.png)" in markdown
    with (tmp_path / "report" / "report.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 9
    good = next(row for row in rows if row["system"] == "good" and row["measure"] == "RR@10")
    assert float(good["mean"]) == 1.0
    assert good["significant_t_test"] == "True"
    assert float(good["t_test_p_holm"]) == pytest.approx(report.comparison("good", "RR@10").t_test_p_holm)
    baseline = next(row for row in rows if row["system"] == "bad" and row["measure"] == "RR@10")
    assert baseline["is_baseline"] == "True"
    assert baseline["t_test_p"] == ""
    assert is_report_dir(tmp_path / "report")


def test_files_qrels_and_baseline_by_name(tmp_path: Path) -> None:
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("".join(f"{q} 0 {d} {r}\n" for q, docs in QRELS.items() for d, r in docs.items()))
    bad, good = write_trec(tmp_path / "bad.run", BAD), write_trec(tmp_path / "good.run", GOOD)
    report = evaluate_runs(qrels, [bad, good], metrics=["RR@10"], baseline="good.run", cutoffs=[1, 10])
    assert report.systems == ["bad", "good"]
    assert report.baseline == "good"
    assert report.qrels == str(qrels)
    assert report.comparison("bad", "RR@10").difference == pytest.approx(BAD_RR - 1)
    assert report.curves == {"RR": {"bad": {1: 0.0, 10: pytest.approx(BAD_RR)}, "good": {1: 1.0, 10: 1.0}}}
    assert evaluate_runs(qrels, [bad, good], metrics=["RR@10"], baseline=1).baseline == "good"


def test_a_single_run_gets_means_and_curves_but_no_comparison(tmp_path: Path) -> None:
    (tmp_path / "single").mkdir()  # an empty folder may be written
    report = evaluate_runs(QRELS, {"good": GOOD}, output_dir=tmp_path / "single")
    assert report.comparisons == []
    report.write(tmp_path / "single")  # and so may a report folder
    assert sorted(path.name for path in report.files) == [
        "cutoffs-R.png",
        "cutoffs-nDCG.png",
        "report.csv",
        "report.md",
    ]
    assert "†" not in str(report)


def test_judged_queries_without_results_count_zero_and_are_noted() -> None:
    partial = {query_id: GOOD[query_id] for query_id in list(GOOD)[:20]}
    report = evaluate_runs(QRELS, {"good": GOOD, "partial": partial}, metrics=["RR@10"])
    assert report.missing == {"good": 0, "partial": 10}
    assert report.means["partial"]["RR@10"] == pytest.approx(20 / 30)
    assert "partial has no results for 10 of the 30 judged queries; they count 0" in str(report)


def test_measure_aliases_each_get_their_value() -> None:
    report = evaluate_runs(QRELS, {"bad": BAD}, metrics=["RR@10", "MRR@10"])
    assert report.means["bad"]["RR@10"] == report.means["bad"]["MRR@10"] == pytest.approx(BAD_RR)


def test_a_picture_someone_added_makes_a_folder_no_report(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    evaluate_runs(QRELS, {"bad": BAD, "good": GOOD}, output_dir=folder)
    assert is_report_dir(folder)
    (folder / "cutoffs-mine.png").write_bytes(b"\x89PNG my own plot")
    assert not is_report_dir(folder)
    with pytest.raises(OverwriteRefusedError):
        evaluate_runs(QRELS, {"good": GOOD}, output_dir=folder)
    assert (folder / "cutoffs-mine.png").read_bytes() == b"\x89PNG my own plot"


def test_an_existing_folder_that_is_not_a_report_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(OverwriteRefusedError, match="is not a Lightning IR experiment report folder"):
        evaluate_runs(QRELS, {"good": GOOD}, output_dir=folder)
    assert (folder / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_a_run_without_a_judged_query_is_named(tmp_path: Path) -> None:
    other = write_trec(tmp_path / "other.run", {"z1": {"d": 1.0}})
    with pytest.raises(InputFileError, match=f"run file {other} has no query of the qrels"):
        evaluate_runs(QRELS, [write_trec(tmp_path / "good.run", GOOD), other])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"metrics": ["nDCG@10", "nDGC@10"]}, ValueError, "metrics: 'nDGC@10' is not an ir_measures measure"),
        ({"baseline": 5}, ValueError, "baseline 5 is not a run position; give 0 to 1 or a run name"),
        ({"baseline": "bm25"}, ValueError, "baseline 'bm25' is none of the runs ['good', 'bad']"),
        ({"alpha": 1.5}, ValueError, "alpha must lie between 0 and 1"),
        ({"qrels": "missing/qrels.txt"}, FileNotFoundError, "qrels file missing/qrels.txt does not exist"),
        ({"qrels": "no/such/dataset"}, FileNotFoundError, "qrels 'no/such/dataset' is neither a qrels file nor a"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, error: type[Exception], message: str) -> None:
    arguments = {"qrels": QRELS, "runs": {"good": GOOD, "bad": BAD}, **kwargs}
    with pytest.raises(error) as raised:
        evaluate_runs(**arguments)
    assert message in str(raised.value)


def test_runs_with_the_same_file_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    first, second = write_trec(tmp_path / "x" / "run.run", GOOD), write_trec(tmp_path / "y" / "run.run", BAD)
    with pytest.raises(ValueError, match=f"runs {first} and {second} are both named 'run'"):
        evaluate_runs(QRELS, [first, second])
