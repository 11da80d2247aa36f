"""Atomic, owner-checked writes: nothing the library did not write is ever replaced; leftovers are cleaned up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lightning_ir.atomic import (
    STAGING_MARKER,
    OverwriteRefusedError,
    atomic_directory,
    atomic_file,
    check_replaceable,
    remove_stale_siblings,
)


def _is_ours(path: Path) -> bool:
    return (path / "ours.txt").is_file()


def _write_ours(staging: Path, text: str = "new") -> None:
    (staging / "ours.txt").write_text(text)


def test_a_foreign_folder_is_refused_and_kept(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.md").write_text("my notes")
    refused = pytest.raises(OverwriteRefusedError, match=r"refusing to replace .*notes: the folder exists and is not")
    with refused, atomic_directory(notes, _is_ours, "index") as staging:
        _write_ours(staging)
    assert (notes / "todo.md").read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_our_folder_and_an_empty_folder_are_replaced(tmp_path: Path) -> None:
    target = tmp_path / "index"
    target.mkdir()
    with atomic_directory(target, _is_ours, "index") as staging:
        _write_ours(staging, "first")
    with atomic_directory(target, _is_ours, "index") as staging:
        _write_ours(staging, "second")
    assert (target / "ours.txt").read_text() == "second"
    assert sorted(p.name for p in target.iterdir()) == ["ours.txt"]  # no staging marker left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_a_file_where_a_folder_goes_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "index"
    target.write_text("data")
    with pytest.raises(OverwriteRefusedError, match="it is a file, not a folder"):
        check_replaceable(target, _is_ours, "index")
    assert target.read_text() == "data"


def test_the_working_directory_is_refused_even_when_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    for target in (Path("."), tmp_path):
        with pytest.raises(OverwriteRefusedError, match="current working directory"):
            check_replaceable(target, lambda path: True, "index")
    assert workdir.is_dir()


def test_a_symlink_keeps_pointing_where_it_pointed(tmp_path: Path) -> None:
    real = tmp_path / "disk" / "index"
    real.parent.mkdir()
    link = tmp_path / "index"
    link.symlink_to(real, target_is_directory=True)
    for text in ("first", "second"):
        with atomic_directory(link, _is_ours, "index") as staging:
            _write_ours(staging, text)
        assert link.is_symlink()
        assert Path(os.readlink(link)) == real
        assert (real / "ours.txt").read_text() == text


def test_a_failure_leaves_the_previous_folder_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "index"
    with atomic_directory(target, _is_ours, "index") as staging:
        _write_ours(staging, "old")

    def write_and_fail_midway() -> None:
        with atomic_directory(target, _is_ours, "index") as staging:
            _write_ours(staging, "half")
            raise RuntimeError("killed midway")

    with pytest.raises(RuntimeError, match="killed midway"):
        write_and_fail_midway()
    assert (target / "ours.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_a_killed_save_are_removed_by_the_next_one(tmp_path: Path) -> None:
    target = tmp_path / "index"
    pid = _dead_pid()
    staging = tmp_path / f".index.tmp.{pid}.0badc0de"
    staging.mkdir()
    (staging / STAGING_MARKER).write_text(f"{socket.gethostname()} {pid}\n")
    old = tmp_path / f".index.old.{pid}.0badc0de"
    old.mkdir()
    _write_ours(old, "previous")
    foreign = tmp_path / f".index.tmp.{pid}.12345678"  # matches the pattern but has no marker: not ours
    foreign.mkdir()
    live = tmp_path / f".index.tmp.{os.getppid()}.87654321"  # a process that still runs
    live.mkdir()
    (live / STAGING_MARKER).write_text(f"{socket.gethostname()} {os.getppid()}\n")
    with atomic_directory(target, _is_ours, "index") as new:
        _write_ours(new)
    assert not staging.exists()
    assert not old.exists()
    assert foreign.exists()
    assert live.exists()
    assert remove_stale_siblings(target, _is_ours) == []


def test_atomic_file_replaces_only_what_is_ours(tmp_path: Path) -> None:
    target = tmp_path / "out.run"
    target.write_text("a letter, not a run\n")
    refused = pytest.raises(OverwriteRefusedError, match="not a Lightning IR run file")
    with refused, atomic_file(target, lambda path: False, "run file") as temporary:
        temporary.write_text("q1 Q0 d1 1 1.0 x\n")
    assert target.read_text() == "a letter, not a run\n"
    with atomic_file(target, lambda path: True, "run file") as temporary:
        temporary.write_text("q1 Q0 d1 1 1.0 x\n")
    assert target.read_text() == "q1 Q0 d1 1 1.0 x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.run"]
    (tmp_path / "folder.run").mkdir()
    with pytest.raises(OverwriteRefusedError, match="it is a folder"):
        check_replaceable(tmp_path / "folder.run", lambda path: True, "run file", directory=False)
