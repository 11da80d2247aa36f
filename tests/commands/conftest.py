"""Helpers for the tests of the trainer-less subcommands."""

from __future__ import annotations

import pytest

from lightning_ir.cli import main


def error_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    """Runs ``lightning-ir`` with ``args``, expecting exit status 1 and one error line, which is returned."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("lightning-ir: error: ")
    return lines[0]
