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

Files are UTF-8 (a leading byte-order mark is skipped). Ids must be non-empty and free of whitespace; in JSONL they
are strings or integers, texts are strings, teacher scores finite numbers; a query id may occur only once in a
queries file. The rules and their messages are in :mod:`lightning_ir.data.validation`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from .validation import (
    FirstSeen,
    check_id,
    iter_columns,
    iter_json,
    iter_lines,
    json_id,
    json_text,
    line_error,
    parse_id,
    parse_int,
    parse_number,
    show,
)

JSONL_SUFFIXES = (".jsonl", ".json")
_QRELS_HEADERS = ({"query-id", "corpus-id", "score"}, {"query_id", "doc_id", "relevance"})
R = TypeVar("R", bound=tuple[Any, ...])


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


def unique_records(records: Iterable[tuple[int, R]], path: Path, what: str) -> Iterator[R]:
    """Yields the records (id first), raising an error that names both lines when an id occurs a second time."""
    first_seen = FirstSeen()
    for line_no, record in records:
        first = first_seen.add(record[0], line_no)
        if first is not None:
            raise line_error(path, line_no, f"{what} id '{record[0]}' occurs more than once (first on line {first})")
        yield record


def numbered_docs(path: Path) -> Iterator[tuple[int, LocalDoc]]:
    """Reads a documents file (JSONL or TSV, see the module docstring) as ``(line number, document)`` pairs."""
    if path.suffix in JSONL_SUFFIXES:
        for line_no, obj in iter_json(path, ("doc_id|_id", "text")):
            doc_id = json_id(obj, "doc_id|_id", path, line_no)
            text = json_text(obj, "text", path, line_no) or ""
            yield line_no, LocalDoc(doc_id, text, json_text(obj, "title", path, line_no) or "")
        return
    for line_no, columns in iter_columns(path, (2, 3), "doc_id, text or doc_id, title, text"):
        doc_id = check_id(columns[0], path, line_no, "doc_id")
        if len(columns) == 2:
            yield line_no, LocalDoc(doc_id, columns[1])
        else:
            yield line_no, LocalDoc(doc_id, columns[2], columns[1])


def read_docs(path: Path) -> Iterator[LocalDoc]:
    """Reads a documents file (JSONL or TSV, see the module docstring); ids are not checked for repeats here."""
    return (doc for _, doc in numbered_docs(path))


def check_docs_file(path: Path, num_docs: int | None = None) -> int:
    """Reads a documents file once (its first ``num_docs`` documents) and returns the number of documents read.

    Every line is checked, and that no document id occurs twice.

    Raises:
        ValueError: A malformed line or a repeated id (naming both lines).
    """
    docs = unique_records(itertools.islice(numbered_docs(path), num_docs), path, "document")
    return sum(1 for _ in docs)


def numbered_queries(path: Path) -> Iterator[tuple[int, LocalQuery]]:
    """Reads a queries file (JSONL or TSV, see the module docstring) as ``(line number, query)`` pairs."""
    if path.suffix in JSONL_SUFFIXES:
        for line_no, obj in iter_json(path, ("query_id|_id", "text")):
            query_id = json_id(obj, "query_id|_id", path, line_no)
            yield line_no, LocalQuery(query_id, json_text(obj, "text", path, line_no) or "")
        return
    for line_no, columns in iter_columns(path, (2,), "query_id, text"):
        yield line_no, LocalQuery(check_id(columns[0], path, line_no, "query_id"), columns[1])


def read_queries(path: Path) -> Iterator[LocalQuery]:
    """Reads a queries file (JSONL or TSV, see the module docstring); a repeated query id is an error."""
    return unique_records(numbered_queries(path), path, "query")


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
        yield LocalQrel(query_id, doc_id, parse_int(relevance, path, line_no, "relevance"), iteration)


def read_doc_tuples(path: Path) -> Iterator[LocalDocTuple]:
    """Reads a document tuples file (JSONL or TSV, see the module docstring)."""
    if path.suffix in JSONL_SUFFIXES:
        yield from _read_json_doc_tuples(path)
        return
    expected: int | None = None
    for line_no, line in iter_lines(path):
        columns = line.split("\t")
        expected = expected or max(len(columns), 3)
        if len(columns) != expected:
            raise line_error(path, line_no, f"has {len(columns)} columns, expected {expected} (query_id, doc_ids)")
        query_id = check_id(columns[0], path, line_no, "query_id")
        doc_ids = tuple(check_id(d, path, line_no, f"doc_id {i}") for i, d in enumerate(columns[1:], start=1))
        yield LocalDocTuple(query_id, doc_ids)


def _read_json_doc_tuples(path: Path) -> Iterator[LocalDocTuple]:
    for line_no, obj in iter_json(path, ("query_id", "doc_ids")):
        query_id = json_id(obj, "query_id", path, line_no)
        doc_ids = obj["doc_ids"]
        if not isinstance(doc_ids, list) or len(doc_ids) < 1:
            raise line_error(path, line_no, f"'doc_ids' must be a non-empty list of document ids, got {show(doc_ids)}")
        ids = tuple(parse_id(d, path, line_no, f"'doc_ids' entry {i}") for i, d in enumerate(doc_ids, start=1))
        scores = obj.get("scores")
        if "scores" in obj:
            if not isinstance(scores, list) or len(scores) != len(ids):
                raise line_error(path, line_no, f"'scores' must be a list of {len(ids)} numbers, got {show(scores)}")
            scores = tuple(parse_number(s, path, line_no, f"'scores' entry {i}") for i, s in enumerate(scores, 1))
        yield LocalDocTuple(query_id, ids, scores)
