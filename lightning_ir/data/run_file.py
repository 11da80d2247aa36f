"""Reading and writing run files (ranked result lists).

Two formats are read:

- TREC (any suffix but ``.jsonl``/``.json``, typically ``.run``, ``.tsv`` or ``.txt``): six whitespace-separated
  columns ``query_id Q0 doc_id rank score tag`` (the second column and the tag are not interpreted, so any tag
  without whitespace is fine). Three-column files are refused on purpose: ``qid docid score`` and MS MARCO's
  ``qid docid rank`` cannot be told apart, and guessing wrong would silently invert the ranking.
- JSONL (``.jsonl``/``.json``): one object per line with ``query_id``, ``doc_id`` (strings or integers) and ``score``
  or ``rank`` or both (each of them on every line or on none); optionally the query text ``query``, the document
  text ``text`` (or ``doc``) and a relevance label ``relevance``, so that such a run can be re-ranked and evaluated
  without a collection. Without ranks, ranks follow the scores; without scores, the score of rank ``r`` is ``-r``
  (so that higher is better, the score order is the rank order and score differences are rank differences).

Scores must be finite, ranks and relevance labels integers, ids non-empty and free of whitespace (see
:mod:`lightning_ir.data.validation`); any other line is refused with an error naming the file and the line.
Runs are written in the TREC format, atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from ..atomic import atomic_file
from .local_formats import JSONL_SUFFIXES
from .validation import iter_columns, iter_json, json_id, json_text, line_error, parse_int, parse_number

TREC_LAYOUT = "query_id Q0 doc_id rank score tag"


class RunEntry(NamedTuple):
    """One line of a run.

    Attributes:
        query_id: Query id.
        doc_id: Document id.
        rank: Rank in the query's ranking (1 is the top), or ``None`` when the run has no ranks.
        score: Retrieval score (higher is better); ``-rank`` for a JSONL run that has ranks only.
        line: Line number in the file (or position in an ir_datasets scoreddocs iterator), for error messages.
        query: Query text when the run carries it, else ``None``.
        doc: Document text when the run carries it (JSONL ``text`` or ``doc``), else ``None``.
        relevance: Relevance label when the run carries it (JSONL ``relevance``), else ``None``.
    """

    query_id: str
    doc_id: str
    rank: int | None
    score: float
    line: int
    query: str | None = None
    doc: str | None = None
    relevance: int | None = None


def read_run(path: Path | str) -> Iterator[RunEntry]:
    """Reads a TREC or JSONL run file line by line, validating every line.

    Args:
        path: The run file.

    Yields:
        One entry per line.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: A line is malformed; the message names the file, the line and what was expected.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"run file {path} does not exist")
    if path.suffix in JSONL_SUFFIXES:
        yield from _read_jsonl_run(path)
        return
    for line_no, columns in iter_columns(path, (6,), TREC_LAYOUT, sep=None):
        rank = parse_int(columns[3], path, line_no, "rank")
        score = parse_number(columns[4], path, line_no, "score")
        yield RunEntry(columns[0], columns[2], rank, score, line_no)


def _read_jsonl_run(path: Path) -> Iterator[RunEntry]:
    first_keys: dict[str, bool] = {}
    for line_no, obj in iter_json(path, ("query_id", "doc_id", "score|rank")):
        for key in ("rank", "score"):
            if first_keys.setdefault(key, key in obj) != (key in obj):
                raise line_error(path, line_no, f"'{key}' must be given on every line or on none")
        rank = parse_int(obj["rank"], path, line_no, "'rank'") if "rank" in obj else None
        if rank is not None and "score" not in obj:
            score = -float(rank)  # documented in the module docstring
        else:  # iter_json made sure that 'score' is there
            score = parse_number(obj["score"], path, line_no, "'score'")
        relevance = parse_int(obj["relevance"], path, line_no, "'relevance'") if "relevance" in obj else None
        yield RunEntry(
            query_id=json_id(obj, "query_id", path, line_no),
            doc_id=json_id(obj, "doc_id", path, line_no),
            rank=rank,
            score=score,
            line=line_no,
            query=json_text(obj, "query", path, line_no),
            doc=json_text(obj, "text|doc", path, line_no),
            relevance=relevance,
        )


def write_run(
    path: Path | str,
    query_ids: Sequence[str],
    doc_ids: Sequence[Sequence[str]],
    scores: Sequence[Sequence[float]] | Iterable[Iterable[float]],
    tag: str = "lightning-ir",
) -> Path:
    """Writes a TREC run file atomically (to a temporary file in the same folder, then renamed into place).

    Each query's documents are ranked by descending score (ties keep their input order). An existing ``path`` is
    replaced only when it is a run file (or empty); any other file is refused and kept.

    Args:
        path: Destination file (through a symbolic link: where the link points); parent folders are created.
        query_ids: One id per query.
        doc_ids: Per query, its document ids.
        scores: Per query, one score per document (lists, arrays or tensors).
        tag: The run tag (last column); must not contain whitespace.

    Returns:
        The path written.

    Raises:
        ValueError: Lengths disagree, an id or the tag contains whitespace, or a score is not finite.
        OverwriteRefusedError: ``path`` exists and is not a run file.
    """
    path = Path(path)
    score_lists = [[float(s) for s in query_scores] for query_scores in scores]
    if not len(query_ids) == len(doc_ids) == len(score_lists):
        raise ValueError(
            f"write_run: {len(query_ids)} query ids, {len(doc_ids)} doc id lists and {len(score_lists)} score lists"
        )
    if not tag or len(tag.split()) != 1:
        raise ValueError(f"write_run: tag {tag!r} must be one word without whitespace")
    lines = []
    for query_id, query_doc_ids, query_scores in zip(query_ids, doc_ids, score_lists, strict=True):
        if len(query_doc_ids) != len(query_scores):
            raise ValueError(
                f"write_run: query {query_id} has {len(query_doc_ids)} doc ids but {len(query_scores)} scores"
            )
        order = sorted(range(len(query_scores)), key=lambda i: -query_scores[i])
        for rank, i in enumerate(order, start=1):
            doc_id = query_doc_ids[i]
            if len(f"{query_id} {doc_id}".split()) != 2:
                raise ValueError(f"write_run: query id {query_id!r} or doc id {doc_id!r} contains whitespace")
            if not math.isfinite(query_scores[i]):
                raise ValueError(f"write_run: query {query_id} has the non-finite score {query_scores[i]} for {doc_id}")
            lines.append(f"{query_id} Q0 {doc_id} {rank} {query_scores[i]!r} {tag}\n")
    with atomic_file(path, is_run_file, "run file") as temporary, open(temporary, "w", encoding="utf-8") as file:
        file.writelines(lines)
    return path


RUN_CHECK_LINES = 100
"""Lines of an existing file read to decide whether it is a run file (and so may be replaced by one)."""


def is_run_file(path: Path) -> bool:
    """Whether ``path`` reads as a run file (its first :data:`RUN_CHECK_LINES` lines are valid run lines).

    Only such a file (or an empty one) is replaced by :func:`write_run`.
    """
    try:
        entries = list(islice(read_run(path), RUN_CHECK_LINES))
    except (OSError, ValueError):
        return False
    return bool(entries)
