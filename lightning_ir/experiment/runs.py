"""Runs as ``{query_id: {doc_id: score}}`` mappings: reading them from files, naming them, ranking and writing them.

Fusion and the experiment report take runs either as files (TREC or JSONL, read with
:func:`~lightning_ir.data.run_file.read_run`, which checks every line) or as in-memory mappings. Within a query a
document may occur once; the ranking of a query is its documents by descending score, ties broken by ascending
document id (so every ranking, and every run written here, is deterministic).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeAlias

from ..data.run_file import read_run, write_run
from ..data.validation import FirstSeen, InputFileError, id_problem, line_error

Run: TypeAlias = dict[str, dict[str, float]]
"""A run: per query id, its documents' scores (higher is better)."""

RunLike: TypeAlias = str | Path | Mapping[str, Mapping[str, float]]
"""A run file (TREC or JSONL) or an in-memory run."""


def load_run(run: RunLike) -> Run:
    """Reads a run file, or checks and copies an in-memory run.

    Args:
        run: A TREC or JSONL run file, or ``{query_id: {doc_id: score}}``.

    Returns:
        The run (queries in file order).

    Raises:
        FileNotFoundError: The file does not exist.
        InputFileError: A line is malformed or repeats a document of its query (naming the file and both lines).
        ValueError: An in-memory run has an unusable id or a score that is not a finite number.
    """
    if isinstance(run, Mapping):
        return _checked_mapping(run)
    path = Path(run)
    loaded: Run = {}
    first_lines: dict[str, FirstSeen] = {}
    for entry in read_run(path):
        first = first_lines.setdefault(entry.query_id, FirstSeen()).add(entry.doc_id, entry.line)
        if first is not None:
            raise line_error(
                path, entry.line, f"document '{entry.doc_id}' of query '{entry.query_id}' already on line {first}"
            )
        loaded.setdefault(entry.query_id, {})[entry.doc_id] = entry.score
    if not loaded:
        raise InputFileError(f"run file {path} holds no ranking")
    return loaded


def _checked_mapping(run: Mapping[str, Mapping[str, float]]) -> Run:
    checked: Run = {}
    for query_id, ranking in run.items():
        if not isinstance(query_id, str) or id_problem(query_id) is not None:
            raise ValueError(f"run: query id {query_id!r} is not usable (a non-empty string without whitespace)")
        if not isinstance(ranking, Mapping):
            raise ValueError(f"run: query '{query_id}' must map document ids to scores, got {type(ranking).__name__}")
        checked[query_id] = {}
        for doc_id, score in ranking.items():
            if not isinstance(doc_id, str) or id_problem(doc_id) is not None:
                raise ValueError(f"run: query '{query_id}' has the unusable document id {doc_id!r}")
            if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
                raise ValueError(f"run: query '{query_id}' has the score {score!r} for '{doc_id}', not a finite number")
            checked[query_id][doc_id] = float(score)
    return checked


def ranked(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    """A query's documents as ``(doc_id, score)`` pairs in rank order: descending score, then ascending doc id."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def ranks(scores: Mapping[str, float]) -> dict[str, int]:
    """Each document's rank (1 is the top) in the order of :func:`ranked`."""
    return {doc_id: rank for rank, (doc_id, _) in enumerate(ranked(scores), start=1)}


def cut(run: Mapping[str, Mapping[str, float]], depth: int | None) -> Run:
    """The run with each query's documents in rank order, keeping the top ``depth`` of them (all when None)."""
    return {query_id: dict(ranked(scores)[:depth]) for query_id, scores in run.items()}


def run_name(run: str | Path) -> str:
    """The name of a run file in reports: its file name without the last suffix (``runs/bm25.run`` -> ``bm25``)."""
    return Path(run).stem


def name_runs(runs: Sequence[RunLike] | Mapping[str, RunLike]) -> dict[str, RunLike]:
    """Names runs: a mapping keeps its names; files are named by :func:`run_name`, in-memory runs ``run<i>`` (from 1).

    Raises:
        ValueError: Two runs get the same name (the message names both), or no run is given.
    """
    if isinstance(runs, Mapping):
        named = {str(name): run for name, run in runs.items()}
    else:
        named = {}
        sources: dict[str, str] = {}
        for position, run in enumerate(runs, start=1):
            name = f"run{position}" if isinstance(run, Mapping) else run_name(run)
            source = f"run {position}" if isinstance(run, Mapping) else str(run)
            if name in named:
                raise ValueError(
                    f"runs {sources[name]} and {source} are both named '{name}' (runs are named by their file name "
                    "without the suffix); rename one of the files"
                )
            named[name], sources[name] = run, source
    if not named:
        raise ValueError("runs: no run given")
    return named


def save_run(path: str | Path, run: Mapping[str, Mapping[str, float]], tag: str = "lightning-ir") -> Path:
    """Writes a run as a TREC run file, atomically (see :func:`~lightning_ir.data.run_file.write_run`).

    Each query's documents are written in the order of :func:`ranked` (ties by ascending document id). An existing
    ``path`` is replaced only when it is a run file (or empty).

    Args:
        path: The run file to write.
        run: ``{query_id: {doc_id: score}}``.
        tag: The run tag (last column), one word.

    Returns:
        The path written.

    Raises:
        OverwriteRefusedError: ``path`` exists and is not a run file.
    """
    query_ids = list(run)
    rankings = [ranked(run[query_id]) for query_id in query_ids]
    doc_ids = [[doc_id for doc_id, _ in ranking] for ranking in rankings]
    scores = [[score for _, score in ranking] for ranking in rankings]
    return write_run(path, query_ids, doc_ids, scores, tag=tag)
