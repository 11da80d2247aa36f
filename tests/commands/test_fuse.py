"""``lightning-ir fuse``: the command-line shape, the run it writes, one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir.cli import main
from lightning_ir.experiment import load_run
from tests.commands.conftest import error_line
from tests.experiment.conftest import RUN_A, RUN_B, write_trec


@pytest.fixture
def runs(tmp_path: Path) -> list[str]:
    return [str(write_trec(tmp_path / "a.run", RUN_A)), str(write_trec(tmp_path / "b.run", RUN_B))]


def test_rrf_with_k_60_is_the_default(tmp_path: Path, runs: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "fused.run"
    main(["fuse", "--runs", *runs, "--output", str(output)])
    assert capsys.readouterr().out.strip() == f"fuse: rrf of 2 runs, 3 queries, 6 lines -> {output}"
    lines = output.read_text().splitlines()
    assert lines[0].split() == ["q1", "Q0", "b", "1", repr(1 / 62 + 1 / 61), "rrf"]
    assert [line.split()[2] for line in lines[:4]] == ["b", "a", "d", "c"]
    assert load_run(output)["q1"]["c"] == pytest.approx(1 / 63)


def test_the_full_shape(tmp_path: Path, runs: list[str]) -> None:
    output = tmp_path / "fused.run"
    main(
        ["fuse", "--runs", *runs, "--method", "combmnz", "--normalization", "min-max", "--weights", "0.5", "2"]
        + ["--depth", "3", "--tag", "hybrid", "--output", str(output)]
    )
    fused = load_run(output)
    assert fused["q1"] == pytest.approx({"b": 4.5, "a": 1.0, "d": 1.0})
    assert {line.split()[5] for line in output.read_text().splitlines()} == {"hybrid"}
    main(["fuse", "--runs", *runs, "--method", "rrf", "--k", "10", "--output", str(output)])  # replaces its run
    assert load_run(output)["q1"]["d"] == pytest.approx(1 / 12)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "borda"], "fuse: argument --method: invalid choice: 'borda'"),
        (["--weights", "1"], "fuse: --weights has 1 values for 2 --runs"),
        (["--method", "rrf", "--normalization", "z-score"], "normalization='z-score' does not apply to method='rrf'"),
        (["--k", "-1"], "k must be a number >= 0, got -1.0"),
    ],
)
def test_bad_arguments_are_one_line_naming_them(
    tmp_path: Path, runs: list[str], capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    line = error_line(capsys, ["fuse", "--runs", *runs, "--output", str(tmp_path / "out.run"), *extra])
    assert message in line
    assert not (tmp_path / "out.run").exists()


def test_missing_arguments_and_files_are_one_line(
    tmp_path: Path, runs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert "the following arguments are required: --output" in error_line(capsys, ["fuse", "--runs", *runs])
    missing = tmp_path / "missing.run"
    line = error_line(capsys, ["fuse", "--runs", runs[0], str(missing), "--output", str(tmp_path / "out.run")])
    assert line == f"lightning-ir: error: run file {missing} does not exist"


def test_the_output_is_never_an_input_nor_a_foreign_file(
    tmp_path: Path, runs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    line = error_line(capsys, ["fuse", "--runs", *runs, "--output", runs[0]])
    assert f"--output {runs[0]} is one of the --runs" in line
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    assert "refusing to replace" in error_line(capsys, ["fuse", "--runs", *runs, "--output", str(notes)])
    assert notes.read_text() == "my notes\n"


def test_help_prints_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["fuse", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--runs", "--method", "--normalization", "--weights", "--k", "--depth", "--output"):
        assert option in out
