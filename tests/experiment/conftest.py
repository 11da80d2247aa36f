"""Hand-made runs and qrels for the fusion and report tests."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

RUN_A = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q2": {"x": 1.0}}
"""q1 ranked a, b, c; q2 only here."""

RUN_B = {"q1": {"b": 0.9, "d": 0.5, "a": 0.1}, "q3": {"y": 2.0}}
"""q1 ranked b, d, a; q3 only here."""


NUM_QUERIES = 30
QRELS = {f"q{i}": {f"rel{i}": 1, f"non{i}": 0} for i in range(NUM_QUERIES)}
"""Each query has one relevant and one judged non-relevant document."""

GOOD = {f"q{i}": {f"rel{i}": 2.0, **{f"x{i}-{j}": 1.0 - j / 10 for j in range(5)}} for i in range(NUM_QUERIES)}
"""The relevant document at rank 1 for every query."""

BAD = {
    f"q{i}": {**{f"x{i}-{j}": 1.0 - j / 10 for j in range(5)}, f"rel{i}": 0.95 - 0.1 * (i % 5)}
    for i in range(NUM_QUERIES)
}
"""The relevant document at rank 2, 3, 4, 5 or 6 (after unjudged ones), in turn."""

BAD_RR = sum(1 / rank for rank in range(2, 7)) / 5
"""BAD's mean reciprocal rank."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, checking its signature and header chunk."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def write_trec(path: Path, run: dict[str, dict[str, float]], tag: str = "test") -> Path:
    """Writes ``run`` as a TREC run file in the order given (ranks as listed)."""
    lines = [
        f"{query_id} Q0 {doc_id} {rank} {score} {tag}\n"
        for query_id, scores in run.items()
        for rank, (doc_id, score) in enumerate(scores.items(), start=1)
    ]
    path.write_text("".join(lines))
    return path


@pytest.fixture
def run_files(tmp_path: Path) -> tuple[Path, Path]:
    """RUN_A and RUN_B as TREC files ``a.run`` and ``b.run``."""
    return write_trec(tmp_path / "a.run", RUN_A), write_trec(tmp_path / "b.run", RUN_B)
