"""Reading and writing run files (ranked result lists).

Two formats are read:

- TREC (any suffix but ``.jsonl``/``.json``, typically ``.run``, ``.tsv`` or ``.txt``): six whitespace-separated
  columns ``query_id Q0 doc_id rank score tag``. Three-column files are refused on purpose: ``qid docid score``
  and MS MARCO's ``qid docid rank`` cannot be told apart, and guessing wrong would silently invert the ranking.
- JSONL (``.jsonl``/``.json``): one object per line with ``query_id``, ``doc_id``, ``score``, optionally ``rank``
  (all lines or none) and optionally the texts ``query`` and ``doc``. Without ranks, ranks follow the scores.

Runs are written in the TREC format, atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from .local_formats import JSONL_SUFFIXES, iter_columns, iter_json, line_error, parse_number

TREC_LAYOUT = "query_id Q0 doc_id rank score tag"


class RunEntry(NamedTuple):
    """One line of a run.

    Attributes:
        query_id: Query id.
        doc_id: Document id.
        rank: Rank in the query's ranking (1 is the top), or ``None`` when the run has no ranks.
        score: Retrieval score (higher is better).
        line: Line number in the file (or position in an ir_datasets scoreddocs iterator), for error messages.
        query: Query text when the run carries it, else ``None``.
        doc: Document text when the run carries it, else ``None``.
    """

    query_id: str
    doc_id: str
    rank: int | None
    score: float
    line: int
    query: str | None = None
    doc: str | None = None


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
        rank = int(parse_number(columns[3], path, line_no, "rank", integer=True))
        score = parse_number(columns[4], path, line_no, "score")
        yield RunEntry(columns[0], columns[2], rank, score, line_no)


def _read_jsonl_run(path: Path) -> Iterator[RunEntry]:
    has_rank: bool | None = None
    for line_no, obj in iter_json(path, ("query_id", "doc_id", "score")):
        if has_rank is None:
            has_rank = "rank" in obj
        if ("rank" in obj) != has_rank:
            raise line_error(path, line_no, "'rank' must be given on every line or on none")
        rank = int(parse_number(obj["rank"], path, line_no, "rank", integer=True)) if has_rank else None
        score = parse_number(obj["score"], path, line_no, "score")
        query, doc = obj.get("query"), obj.get("doc")
        yield RunEntry(
            str(obj["query_id"]),
            str(obj["doc_id"]),
            rank,
            score,
            line_no,
            None if query is None else str(query),
            None if doc is None else str(doc),
        )


def write_run(
    path: Path | str,
    query_ids: Sequence[str],
    doc_ids: Sequence[Sequence[str]],
    scores: Sequence[Sequence[float]] | Iterable[Iterable[float]],
    tag: str = "lightning-ir",
) -> Path:
    """Writes a TREC run file atomically (to a temporary file in the same folder, then renamed into place).

    Each query's documents are ranked by descending score (ties keep their input order).

    Args:
        path: Destination file; parent folders are created.
        query_ids: One id per query.
        doc_ids: Per query, its document ids.
        scores: Per query, one score per document (lists, arrays or tensors).
        tag: The run tag (last column); must not contain whitespace.

    Returns:
        The path written.

    Raises:
        ValueError: Lengths disagree, or an id or the tag contains whitespace.
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
            lines.append(f"{query_id} Q0 {doc_id} {rank} {query_scores[i]!r} {tag}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(lines)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
