"""The README's model-zoo table names every registered checkpoint family."""

from __future__ import annotations

import re
from pathlib import Path

import lightning_ir  # noqa: F401 (registers the built-in layouts)
from lightning_ir.base.layouts import LAYOUTS

README = Path(__file__).resolve().parents[1] / "README.md"


def _key(family: str) -> str:
    """A family's name without its examples in parentheses (``"ColBERT"``, ``"XTR"``)."""
    return re.sub(r"\s*\(.*\)\s*", " ", family).strip().split(" / ")[0].split(" (")[0]


def test_every_layout_family_is_in_the_readme_table() -> None:
    table = README.read_text(encoding="utf-8").split("## Model zoo", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    for layout in LAYOUTS:
        key = _key(layout.family)
        assert any(key.split()[0] in row for row in rows), f"README model zoo has no row for {layout.family!r}"
