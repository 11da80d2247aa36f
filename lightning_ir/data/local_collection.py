"""ir_datasets components backed by local files (imported lazily: it imports ir_datasets).

Each component reads its file with the validating readers of :mod:`lightning_ir.data.local_formats` and
:mod:`lightning_ir.data.run_file`, so a malformed line raises an error naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ir_datasets.formats import BaseDocPairs, BaseDocs, BaseQrels, BaseQueries, BaseScoredDocs, GenericScoredDoc

from .local_formats import (
    LocalDoc,
    LocalDocTuple,
    LocalQrel,
    LocalQuery,
    numbered_docs,
    read_doc_tuples,
    read_docs,
    read_qrels,
    read_queries,
    unique_records,
)
from .run_file import read_run


class LocalDocStore:
    """An in-memory document store with the ``get`` / ``get_many`` interface of ir_datasets' docstores.

    Args:
        docs: ``(line number, document)`` pairs.
        path: The documents file, for error messages.

    Raises:
        ValueError: A document id occurs twice (the message names both lines).
    """

    def __init__(self, docs: Iterable[tuple[int, LocalDoc]], path: Path) -> None:
        self._docs = {doc.doc_id: doc for doc in unique_records(docs, path, "document")}

    def __len__(self) -> int:
        return len(self._docs)

    def get(self, doc_id: str, field: str | None = None) -> Any:
        """Returns one document (or one of its fields); raises ``KeyError`` for an unknown id."""
        doc = self._docs[doc_id]
        return doc if field is None else getattr(doc, field)

    def get_many(self, doc_ids: Iterable[str], field: str | None = None) -> dict[str, Any]:
        """Returns ``{doc_id: document}`` for the ids that exist (unknown ids are absent, as in ir_datasets)."""
        return {doc_id: self.get(doc_id, field) for doc_id in doc_ids if doc_id in self._docs}

    def get_many_iter(self, doc_ids: Iterable[str]) -> Iterator[LocalDoc]:
        """Yields the documents that exist among ``doc_ids``."""
        return iter(self.get_many(doc_ids).values())


class LocalDocs(BaseDocs):
    """Documents from a local TSV or JSONL file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._store: LocalDocStore | None = None
        self._stamp: tuple[int, int, int] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_path": self._path, "_store": None, "_stamp": None}

    def docs_iter(self) -> Iterator[LocalDoc]:
        """Yields the documents of the file in file order (see :func:`read_docs`)."""
        return read_docs(self._path)

    def docs_store(self, field: str = "doc_id") -> LocalDocStore:
        """A store that looks documents up by ``doc_id`` (whatever ``field``), built on first use.

        It is built again when the file was replaced since (e.g. a training-tuples folder written anew).
        """
        stat = self._path.stat()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._store is None or stamp != self._stamp:
            self._store = LocalDocStore(numbered_docs(self._path), self._path)
            self._stamp = stamp
        return self._store

    def docs_count(self) -> int:
        """The number of documents in the file."""
        return len(self.docs_store())

    def docs_cls(self) -> type:
        """The document type, :class:`LocalDoc`."""
        return LocalDoc

    def docs_path(self, force: bool = True) -> str:
        """The path of the documents file."""
        return str(self._path)


class LocalQueries(BaseQueries):
    """Queries from a local TSV or JSONL file (a query id occurring twice is an error naming both lines)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def queries_iter(self) -> Iterator[LocalQuery]:
        """Yields the queries of the file; a repeated query id is an error naming both lines."""
        return read_queries(self._path)

    def queries_cls(self) -> type:
        """The query type, :class:`LocalQuery`."""
        return LocalQuery

    def queries_path(self, force: bool = True) -> str:
        """The path of the queries file."""
        return str(self._path)


class LocalQrels(BaseQrels):
    """Qrels from a local TREC or TSV file."""

    def __init__(self, path: Path, qrels_defs: dict[int, str] | None = None) -> None:
        self._path = path
        self._defs = dict(qrels_defs or {})

    def qrels_iter(self) -> Iterator[LocalQrel]:
        """Yields the relevance judgements of the file."""
        return read_qrels(self._path)

    def qrels_defs(self) -> dict[int, str]:
        """The meaning of each relevance level, as given when the collection was registered."""
        return self._defs

    def qrels_path(self, force: bool = True) -> str:
        """The path of the qrels file."""
        return str(self._path)

    def qrels_cls(self) -> type:
        """The relevance judgement type, :class:`LocalQrel`."""
        return LocalQrel


class LocalDocPairs(BaseDocPairs):
    """Training tuples from a local TSV or JSONL file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def docpairs_iter(self) -> Iterator[LocalDocTuple]:
        """Yields the training tuples of the file."""
        return read_doc_tuples(self._path)

    def docpairs_path(self, force: bool = True) -> str:
        """The path of the tuples file."""
        return str(self._path)

    def docpairs_cls(self) -> type:
        """The tuple type, :class:`LocalDocTuple`."""
        return LocalDocTuple


class LocalScoredDocs(BaseScoredDocs):
    """Scored documents (a run) from a local TREC or JSONL run file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def scoreddocs_iter(self) -> Iterator[GenericScoredDoc]:
        """Yields the run's entries as ir_datasets' ``GenericScoredDoc`` (query id, doc id, score)."""
        return (GenericScoredDoc(e.query_id, e.doc_id, e.score) for e in read_run(self._path))

    def scoreddocs_path(self, force: bool = True) -> str:
        """The path of the run file."""
        return str(self._path)


COMPONENTS: dict[str, Any] = {
    "docs": LocalDocs,
    "queries": LocalQueries,
    "docpairs": LocalDocPairs,
    "scoreddocs": LocalScoredDocs,
}
