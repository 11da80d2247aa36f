"""Weights are read only through safetensors or ``torch.load(weights_only=True)``.

Remote code is never trusted by default.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lightning_ir"


def _sources() -> list[tuple[Path, str]]:
    return [(path, path.read_text()) for path in sorted(PACKAGE.rglob("*.py"))]


def test_torch_load_always_uses_weights_only() -> None:
    for path, source in _sources():
        for match in re.finditer(r"torch\.load\(([^)]*)\)", source):
            assert "weights_only=True" in match.group(1), f"{path}: torch.load without weights_only=True"


def test_remote_code_is_never_trusted_by_default() -> None:
    for path, source in _sources():
        assert "trust_remote_code=True" not in source, f"{path} turns trust_remote_code on"
        assert "pickle.load" not in source, f"{path} unpickles data"
