"""Validating line readers for local collection files: documents, queries, qrels and document tuples.

Every reader yields one record per non-blank line and raises a ``ValueError`` that names the file, the line and what
was expected when a line is malformed; nothing is skipped silently. Formats (chosen by the file suffix):

- documents: ``.jsonl`` with ``doc_id`` (or BEIR's ``_id``), ``text`` and optional ``title``; otherwise TSV with
  ``doc_id<TAB>text`` or ``doc_id<TAB>title<TAB>text`` (the first line fixes the column count for the file).
- queries: ``.jsonl`` with ``query_id`` (or ``_id``) and ``text``; otherwise TSV ``query_id<TAB>text``.
- qrels: TREC ``query_id iteration doc_id relevance`` (4 whitespace-separated columns) or TSV
  ``query_id<TAB>doc_id<TAB>relevance`` (3 columns; a BEIR header line ``query-id corpus-id score`` is allowed).
- document tuples: ``.jsonl`` with ``query_id``, ``doc_ids`` (list) and optional ``scores`` (list of numbers);
  otherwise TSV ``query_id<TAB>doc_id<TAB>doc_id[<TAB>doc_id ...]`` (first document is the positive one).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

JSONL_SUFFIXES = (".jsonl", ".json")
_QRELS_HEADERS = ({"query-id", "corpus-id", "score"}, {"query_id", "doc_id", "relevance"})


class LocalDoc(NamedTuple):
    """A document of a local collection."""

    doc_id: str
    text: str
    title: str = ""

    def default_text(self) -> str:
        """Returns "title text" (just the text for documents without a title)."""
        return f"{self.title} {self.text}" if self.title else self.text


class LocalQuery(NamedTuple):
    """A query of a local collection."""

    query_id: str
    text: str

    def default_text(self) -> str:
        """Returns the query text."""
        return self.text


class LocalQrel(NamedTuple):
    """A relevance judgement; ``iteration`` is TREC's second column (a subtopic id in diversity qrels)."""

    query_id: str
    doc_id: str
    relevance: int
    iteration: str = "0"


class LocalDocTuple(NamedTuple):
    """A training tuple: a query and several documents, optionally with a teacher score per document."""

    query_id: str
    doc_ids: tuple[str, ...]
    scores: tuple[float, ...] | None = None


def line_error(path: Path | str, line_no: int, message: str) -> ValueError:
    """Builds the error raised for a malformed line."""
    return ValueError(f"line {line_no} of {path}: {message}")


def check_file(path: Path | str, what: str) -> Path:
    """Returns ``path`` as a ``Path`` or raises ``FileNotFoundError`` naming the file and its role."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file {path} does not exist")
    return path


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yields ``(line number, line without its newline)`` for every non-blank line of ``path``."""
    with check_file(path, "input").open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if line.strip():
                yield line_no, line


def iter_columns(
    path: Path, allowed: Sequence[int], layout: str, sep: str | None = "\t"
) -> Iterator[tuple[int, list[str]]]:
    """Yields ``(line number, columns)``; the first line's column count (one of ``allowed``) holds for the file.

    Args:
        path: The file.
        allowed: Allowed column counts.
        layout: Human-readable column layout used in error messages.
        sep: Column separator (``None`` splits on any whitespace).
    """
    expected: int | None = None
    for line_no, line in iter_lines(path):
        columns = line.split(sep)
        if expected is None and len(columns) in allowed:
            expected = len(columns)
        if len(columns) != expected:
            want = f"{expected}" if expected is not None else " or ".join(str(n) for n in allowed)
            raise line_error(path, line_no, f"has {len(columns)} columns, expected {want} ({layout})")
        yield line_no, columns


def iter_json(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields ``(line number, object)`` for a JSONL file whose objects must carry the ``required`` keys.

    A required key written ``"a|b"`` is satisfied by either ``a`` or ``b``.
    """
    for line_no, line in iter_lines(path):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            raise line_error(path, line_no, f"is not valid JSON ({error.msg})") from None
        if not isinstance(obj, dict):
            raise line_error(path, line_no, "is not a JSON object")
        for key in required:
            if not any(option in obj for option in key.split("|")):
                raise line_error(path, line_no, f"has no '{key}' key, expected keys {list(required)}")
        yield line_no, obj


def parse_number(value: Any, path: Path, line_no: int, name: str, integer: bool = False) -> float:
    """Parses a numeric column or raises an error naming the line and the column."""
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        kind = "an integer" if integer else "a number"
        raise line_error(path, line_no, f"{name} {value!r} is not {kind}") from None
    return number


def _first(obj: dict[str, Any], keys: str) -> Any:
    return next(obj[key] for key in keys.split("|") if key in obj)


def read_docs(path: Path) -> Iterator[LocalDoc]:
    """Reads a documents file (JSONL or TSV, see the module docstring)."""
    if path.suffix in JSONL_SUFFIXES:
        for _, obj in iter_json(path, ("doc_id|_id", "text")):
            yield LocalDoc(str(_first(obj, "doc_id|_id")), str(obj["text"]), str(obj.get("title") or ""))
        return
    for _, columns in iter_columns(path, (2, 3), "doc_id, text or doc_id, title, text"):
        if len(columns) == 2:
            yield LocalDoc(columns[0], columns[1])
        else:
            yield LocalDoc(columns[0], columns[2], columns[1])


def read_queries(path: Path) -> Iterator[LocalQuery]:
    """Reads a queries file (JSONL or TSV, see the module docstring)."""
    if path.suffix in JSONL_SUFFIXES:
        for _, obj in iter_json(path, ("query_id|_id", "text")):
            yield LocalQuery(str(_first(obj, "query_id|_id")), str(obj["text"]))
        return
    for _, columns in iter_columns(path, (2,), "query_id, text"):
        yield LocalQuery(columns[0], columns[1])


def read_qrels(path: Path) -> Iterator[LocalQrel]:
    """Reads a qrels file: TREC (4 columns) or TSV (3 columns), see the module docstring."""
    layout = "TREC: query_id iteration doc_id relevance, or TSV: query_id doc_id relevance"
    for line_no, columns in iter_columns(path, (3, 4), layout, sep=None):
        if len(columns) == 3:
            query_id, doc_id, relevance = columns
            iteration = "0"
            if line_no == 1 and set(columns) in _QRELS_HEADERS:
                continue
        else:
            query_id, iteration, doc_id, relevance = columns
        yield LocalQrel(query_id, doc_id, int(parse_number(relevance, path, line_no, "relevance", True)), iteration)


def read_doc_tuples(path: Path) -> Iterator[LocalDocTuple]:
    """Reads a document tuples file (JSONL or TSV, see the module docstring)."""
    if path.suffix in JSONL_SUFFIXES:
        for line_no, obj in iter_json(path, ("query_id", "doc_ids")):
            doc_ids = obj["doc_ids"]
            if not isinstance(doc_ids, list) or len(doc_ids) < 1:
                raise line_error(path, line_no, "'doc_ids' must be a non-empty list of document ids")
            scores = obj.get("scores")
            if scores is not None:
                if not isinstance(scores, list) or len(scores) != len(doc_ids):
                    raise line_error(path, line_no, f"'scores' must be a list of {len(doc_ids)} numbers")
                scores = tuple(parse_number(s, path, line_no, "score") for s in scores)
            yield LocalDocTuple(str(obj["query_id"]), tuple(str(d) for d in doc_ids), scores)
        return
    expected: int | None = None
    for line_no, columns in iter_lines_split(path):
        expected = expected or max(len(columns), 3)
        if len(columns) != expected:
            raise line_error(path, line_no, f"has {len(columns)} columns, expected {expected} (query_id, doc_ids)")
        yield LocalDocTuple(columns[0], tuple(columns[1:]))


def iter_lines_split(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yields ``(line number, tab-separated columns)`` for every non-blank line."""
    for line_no, line in iter_lines(path):
        yield line_no, line.split("\t")
