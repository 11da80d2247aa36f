"""write_run / read_run: TREC run files written atomically and read back."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_ir.data import read_run, write_run


def test_write_run_ranks_by_score_and_reads_back(tmp_path: Path) -> None:
    scores = [torch.tensor([0.1, 0.9, 0.5], dtype=torch.float64), [2.0]]
    path = write_run(tmp_path / "runs" / "out.run", ["q1", "q2"], [["a", "b", "c"], ["d"]], scores, tag="test")
    assert path.read_text().splitlines() == [
        "q1 Q0 b 1 0.9 test",
        "q1 Q0 c 2 0.5 test",
        "q1 Q0 a 3 0.1 test",
        "q2 Q0 d 1 2.0 test",
    ]
    entries = list(read_run(path))
    assert [(e.query_id, e.doc_id, e.rank, e.score, e.line) for e in entries][:2] == [
        ("q1", "b", 1, 0.9, 1),
        ("q1", "c", 2, 0.5, 2),
    ]
    assert not [p for p in path.parent.iterdir() if p.name != "out.run"]  # no temporary file left behind


def test_write_run_is_atomic_on_error(tmp_path: Path) -> None:
    path = tmp_path / "out.run"
    path.write_text("old\n")
    with pytest.raises(ValueError, match="contains whitespace"):
        write_run(path, ["q 1"], [["a"]], [[1.0]])
    with pytest.raises(ValueError, match="1 query ids, 2 doc id lists"):
        write_run(path, ["q1"], [["a"], ["b"]], [[1.0]])
    with pytest.raises(ValueError, match="tag 'two words'"):
        write_run(path, ["q1"], [["a"]], [[1.0]], tag="two words")
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]


def test_write_run_replaces_only_a_run_file(tmp_path: Path) -> None:
    from lightning_ir.atomic import OverwriteRefusedError

    run = write_run(tmp_path / "out.run", ["q1"], [["a"]], [[1.0]])
    write_run(run, ["q1"], [["b"]], [[2.0]])  # a run file: replaced
    assert [entry.doc_id for entry in read_run(run)] == ["b"]
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear reviewer,\nthank you.\n")
    with pytest.raises(OverwriteRefusedError, match=r"letter.txt: the file exists and is not a Lightning IR run file"):
        write_run(letter, ["q1"], [["a"]], [[1.0]])
    assert letter.read_text() == "Dear reviewer,\nthank you.\n"
    with pytest.raises(ValueError, match="non-finite score nan"):
        write_run(run, ["q1"], [["a"]], [[float("nan")]])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["letter.txt", "out.run"]
