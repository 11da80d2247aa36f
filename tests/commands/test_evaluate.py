"""``lightning-ir evaluate``: the command-line shape, the printed table, the report folder, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir.cli import main
from tests.commands.conftest import error_line
from tests.experiment.conftest import BAD, GOOD, PNG_SIGNATURE, QRELS, write_trec


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str, str]:
    """A qrels file and the runs bad.run and good.run."""
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("".join(f"{q} 0 {d} {r}\n" for q, docs in QRELS.items() for d, r in docs.items()))
    bad, good = write_trec(tmp_path / "bad.run", BAD), write_trec(tmp_path / "good.run", GOOD)
    return str(qrels), str(bad), str(good)


def test_prints_the_table_and_writes_the_report(
    tmp_path: Path, files: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    qrels, bad, good = files
    output_dir = tmp_path / "report"
    main(
        ["evaluate", "--qrels", qrels, "--runs", bad, good, "--metrics", "nDCG@10", "RR@10"]
        + ["--output_dir", str(output_dir)]
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"2 system(s) on 30 judged queries ({qrels})"
    assert out[1].split() == ["system", "nDCG@10", "RR@10"]
    assert out[3].split() == ["good", "1.0000", "†‡", "1.0000", "†‡"]
    assert out[-1].startswith(f"report written to {output_dir}: report.md, report.csv, differences-nDCG@10.png")
    pngs = sorted(output_dir.glob("*.png"))
    assert [path.name for path in pngs] == [
        "cutoffs-RR.png",
        "cutoffs-nDCG.png",
        "differences-RR@10.png",
        "differences-nDCG@10.png",
    ]
    assert all(path.read_bytes().startswith(PNG_SIGNATURE) for path in pngs)
    assert (output_dir / "report.md").is_file()
    assert (output_dir / "report.csv").is_file()


@pytest.mark.parametrize("baseline", ["1", "good.run", "good"])
def test_the_baseline_by_position_or_file_name(
    files: tuple[str, str, str], capsys: pytest.CaptureFixture[str], baseline: str
) -> None:
    qrels, bad, good = files
    main(["evaluate", "--qrels", qrels, "--runs", bad, good, "--metrics", "RR@10", "--baseline", baseline])
    out = capsys.readouterr().out.splitlines()
    assert out[3].split()[:2] == ["good", "(baseline)"]
    assert "against the baseline good" in out[4]


def test_bad_input_is_one_line_naming_it(
    tmp_path: Path, files: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    qrels, bad, good = files
    base = ["evaluate", "--qrels", qrels, "--runs", bad, good]
    assert "evaluate: metrics: 'nDGC@10' is not an ir_measures measure" in error_line(
        capsys, [*base, "--metrics", "nDGC@10"]
    )
    assert "evaluate: baseline 'bm25' is none of the runs ['bad', 'good']" in error_line(
        capsys, [*base, "--baseline", "bm25"]
    )
    assert "the following arguments are required: --qrels" in error_line(capsys, ["evaluate", "--runs", bad])
    missing = tmp_path / "missing.run"
    assert error_line(capsys, [*base, str(missing)]) == f"lightning-ir: error: run file {missing} does not exist"
    other = write_trec(tmp_path / "other.run", {"z1": {"d": 1.0}})
    line = error_line(capsys, [*base, str(other)])
    assert line.startswith(f"lightning-ir: error: run file {other} has no query of the qrels ({qrels}: 30 judged")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("keep")
    assert "refusing to replace" in error_line(capsys, [*base, "--output_dir", str(notes)])
    assert (notes / "mine.txt").read_text() == "keep"
