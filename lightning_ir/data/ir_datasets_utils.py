"""ir_datasets helpers: local collections registered under an id, id resolution and text/qrels extraction.

A local collection is usable everywhere an ir_datasets id is, in two ways:

- ``register_local("my-collection/dev", docs="docs.tsv", queries="queries.tsv", qrels="qrels.txt")`` from Python;
- a folder path used as the id (YAML-friendly, no registration step): the folder holds files named ``docs.*``,
  ``queries.*``, ``qrels.*``, ``docpairs.*`` and ``scoreddocs.*`` (or ``run.*``); see :func:`folder_files`.

Entities a collection does not provide are taken from the nearest parent id that has them, as ir_datasets does for
subsets: ``register_local("beir/scifact/train/bm25", scoreddocs="bm25.run")`` gets its documents, queries and qrels
from ``beir/scifact/train``, and a folder ``coll/dev`` gets its documents from ``coll``.

The MS MARCO training sets the original Lightning IR registered (``msmarco-passage/train/kd-docpairs``, ...) are
registered with ir_datasets when an id is first resolved; see :mod:`lightning_ir.data.registered_datasets`.

ir_datasets is imported on first use, never at import time. Note that ir_datasets fixes the folder it stores
downloads in (``IR_DATASETS_HOME``, default ``~/.ir_datasets``) when it is first imported: set the variable before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENTITIES = ("docs", "queries", "qrels", "docpairs", "scoreddocs")
_FOLDER_SUFFIXES = {
    "docs": (".tsv", ".jsonl", ".json"),
    "queries": (".tsv", ".jsonl", ".json"),
    "qrels": (".txt", ".tsv", ".qrels", ".trec"),
    "docpairs": (".tsv", ".jsonl", ".json"),
    "scoreddocs": (".run", ".txt", ".tsv", ".jsonl", ".json"),
}
_REGISTERED: dict[str, LocalCollectionSpec] = {}


@dataclass(frozen=True)
class LocalCollectionSpec:
    """Everything needed to (re-)register a local collection, e.g. in a freshly spawned worker process.

    Attributes:
        dataset_id: The id it is registered under.
        files: ``(entity, absolute path)`` pairs for the entities read from local files.
        borrowed: ``(entity, ir_datasets id)`` pairs for the entities taken from a parent ir_datasets id.
        qrels_defs: ``(relevance, description)`` pairs.
    """

    dataset_id: str
    files: tuple[tuple[str, str], ...]
    borrowed: tuple[tuple[str, str], ...] = ()
    qrels_defs: tuple[tuple[int, str], ...] = ()

    def file(self, entity: str) -> Path | None:
        """Returns the local file providing ``entity``, if any."""
        return next((Path(path) for name, path in self.files if name == entity), None)

    def build(self) -> Any:
        """Builds the ir_datasets ``Dataset`` object."""
        import ir_datasets

        from .local_collection import COMPONENTS, LocalQrels

        components = []
        for entity, path in self.files:
            if entity == "qrels":
                components.append(LocalQrels(Path(path), dict(self.qrels_defs)))
            else:
                components.append(COMPONENTS[entity](Path(path)))
        for entity, parent_id in self.borrowed:
            components.append(getattr(ir_datasets.load(parent_id), f"{entity}_handler")())
        return ir_datasets.Dataset(*components)


def register_local(
    dataset_id: str,
    docs: str | Path | None = None,
    queries: str | Path | None = None,
    qrels: str | Path | None = None,
    docpairs: str | Path | None = None,
    scoreddocs: str | Path | None = None,
    qrels_defs: dict[int, str] | None = None,
) -> str:
    """Registers local files with ir_datasets under ``dataset_id``.

    File formats are described in :mod:`lightning_ir.data.local_formats` (documents, queries, qrels, docpairs)
    and :mod:`lightning_ir.data.run_file` (scoreddocs, i.e. a run). Files are validated line by line when read.
    Registering the same id again with the same files does nothing.

    Args:
        dataset_id: The id, e.g. ``"my-collection/dev"``. Missing entities come from the nearest parent id.
        docs: Documents (TSV or JSONL).
        queries: Queries (TSV or JSONL).
        qrels: Relevance judgements (TREC 4 columns or TSV 3 columns).
        docpairs: Training tuples (TSV or JSONL).
        scoreddocs: A run (TREC or JSONL).
        qrels_defs: Meaning of each relevance level, e.g. ``{0: "not relevant", 1: "relevant"}``.

    Returns:
        ``dataset_id``.

    Raises:
        FileNotFoundError: A given file does not exist.
        ValueError: No file is given, the id is an ir_datasets id, or it is registered with other files.
    """
    given = {"docs": docs, "queries": queries, "qrels": qrels, "docpairs": docpairs, "scoreddocs": scoreddocs}
    files = []
    for entity, path in given.items():
        if path is None:
            continue
        if not Path(path).is_file():
            raise FileNotFoundError(f"register_local('{dataset_id}'): {entity} file {path} does not exist")
        files.append((entity, str(Path(path).resolve())))
    if not files:
        raise ValueError(f"register_local('{dataset_id}'): give at least one of {', '.join(ENTITIES)}")
    spec = _with_parents(dataset_id, tuple(files), tuple(sorted((qrels_defs or {}).items())))
    _register(spec)
    return dataset_id


def _with_parents(dataset_id: str, files: tuple[tuple[str, str], ...], defs: tuple[tuple[int, str], ...]) -> Any:
    """Completes ``files`` with the entities of the nearest parent ids (ir_datasets' convention for subsets)."""
    import ir_datasets

    provided = {entity for entity, _ in files}
    inherited_files: list[tuple[str, str]] = []
    borrowed: list[tuple[str, str]] = []
    segments = dataset_id.rstrip("/").split("/")[:-1]
    while segments and len(provided) < len(ENTITIES):
        parent_id = "/".join(segments)
        segments.pop()
        parent = _local_spec(parent_id) if parent_id else None
        if parent is not None:
            for entity, path in parent.files:
                if entity not in provided:
                    inherited_files.append((entity, path))
                    provided.add(entity)
            for entity, source in parent.borrowed:
                if entity not in provided:
                    borrowed.append((entity, source))
                    provided.add(entity)
        elif parent_id and _is_ir_datasets_id(parent_id):
            parent_dataset = ir_datasets.load(parent_id)
            for entity in ENTITIES:
                if entity not in provided and parent_dataset.has(entity):
                    borrowed.append((entity, parent_id))
                    provided.add(entity)
    return LocalCollectionSpec(dataset_id, files + tuple(inherited_files), tuple(borrowed), defs)


def _register(spec: LocalCollectionSpec) -> None:
    import ir_datasets

    existing = _REGISTERED.get(spec.dataset_id)
    if existing == spec:
        return
    if existing is not None:
        raise ValueError(f"register_local: '{spec.dataset_id}' is already registered with other files")
    if _is_ir_datasets_id(spec.dataset_id):
        raise ValueError(f"register_local: '{spec.dataset_id}' is an ir_datasets id; choose another id")
    ir_datasets.registry.register(spec.dataset_id, spec.build())
    _REGISTERED[spec.dataset_id] = spec


def _is_ir_datasets_id(dataset_id: str) -> bool:
    import ir_datasets

    from .registered_datasets import register_training_dataset

    register_training_dataset(dataset_id)  # the original library's training sets are registered when first named
    try:
        ir_datasets.load(dataset_id)
    except KeyError:
        return False
    return True


def folder_files(folder: str | Path) -> dict[str, Path]:
    """Returns the collection files of a folder: ``{entity: path}``.

    Recognised names: ``docs.{tsv,jsonl,json}``, ``queries.{tsv,jsonl,json}``, ``qrels.{txt,tsv,qrels,trec}``,
    ``docpairs.{tsv,jsonl,json}``, ``scoreddocs.{run,txt,tsv,jsonl,json}`` or ``run.{...}``.

    Raises:
        ValueError: Two files provide the same entity.
    """
    found: dict[str, Path] = {}
    for entity, suffixes in _FOLDER_SUFFIXES.items():
        stems = ("scoreddocs", "run") if entity == "scoreddocs" else (entity,)
        matches = [Path(folder) / f"{stem}{suffix}" for stem in stems for suffix in suffixes]
        matches = [path for path in matches if path.is_file()]
        if len(matches) > 1:
            raise ValueError(f"collection folder {folder} has several {entity} files: {[m.name for m in matches]}")
        if matches:
            found[entity] = matches[0]
    return found


def _local_spec(dataset_id: str) -> LocalCollectionSpec | None:
    """Returns the spec of a registered id or of a collection folder (registering it), else ``None``."""
    if dataset_id in _REGISTERED:
        return _REGISTERED[dataset_id]
    if not Path(dataset_id).is_dir() or _is_ir_datasets_id(dataset_id):
        return None
    files = folder_files(dataset_id)
    if not files:
        return None
    register_local(
        dataset_id,
        docs=files.get("docs"),
        queries=files.get("queries"),
        qrels=files.get("qrels"),
        docpairs=files.get("docpairs"),
        scoreddocs=files.get("scoreddocs"),
    )
    return _REGISTERED[dataset_id]


@dataclass(frozen=True)
class DatasetRef:
    """A picklable handle on a dataset id that re-registers a local collection where needed (spawned workers)."""

    dataset_id: str
    spec: LocalCollectionSpec | None = None

    def load(self) -> Any:
        """Returns the ir_datasets ``Dataset``."""
        import ir_datasets

        from .registered_datasets import register_training_dataset

        if self.spec is not None:
            _register(self.spec)
        else:
            register_training_dataset(self.dataset_id)
        return ir_datasets.load(self.dataset_id)


def dataset_ref(dataset_id: str) -> DatasetRef:
    """Resolves an ir_datasets id, a :func:`register_local` id or a collection folder.

    Raises:
        ValueError: The id is none of these.
    """
    spec = _local_spec(dataset_id)
    if spec is None and not _is_ir_datasets_id(dataset_id):
        raise ValueError(
            f"unknown dataset id '{dataset_id}': not an ir_datasets id, not registered with register_local and "
            f"not a folder holding {'/'.join(ENTITIES)} files"
        )
    return DatasetRef(dataset_id, spec)


def load_dataset(dataset_id: str) -> Any:
    """Returns the ir_datasets ``Dataset`` for any id :func:`dataset_ref` accepts."""
    return dataset_ref(dataset_id).load()


def doc_text(doc: Any, text_fields: tuple[str, ...] | list[str] | None = None) -> str:
    """Returns a document's text.

    Args:
        doc: An ir_datasets document (a named tuple).
        text_fields: Fields to join with a space; by default "title text" when the document has both fields
            (BEIR and local collections), else ir_datasets' ``default_text()``, else ``text``.

    Raises:
        ValueError: A requested field does not exist.
    """
    if text_fields:
        try:
            parts = [getattr(doc, field) for field in text_fields]
        except AttributeError:
            raise ValueError(f"text_fields {list(text_fields)}: documents have fields {list(doc._fields)}") from None
        return " ".join(str(part) for part in parts if part)
    title = getattr(doc, "title", None)
    if title is not None and hasattr(doc, "text"):
        return f"{title} {doc.text}" if title else doc.text
    if hasattr(doc, "default_text"):
        return doc.default_text()
    return doc.text


def query_text(query: Any) -> str:
    """Returns a query's text (ir_datasets' ``default_text()`` when defined)."""
    return query.default_text() if hasattr(query, "default_text") else query.text


def qrels_by_query(dataset: Any) -> dict[str, list[dict[str, Any]]]:
    """Returns ``{query_id: [{"query_id", "doc_id", "iteration", "relevance"}, ...]}`` ({} without qrels)."""
    qrels: dict[str, list[dict[str, Any]]] = {}
    if not dataset.has_qrels():
        return qrels
    for qrel in dataset.qrels_iter():
        qrels.setdefault(qrel.query_id, []).append(
            {
                "query_id": qrel.query_id,
                "doc_id": qrel.doc_id,
                "iteration": str(getattr(qrel, "iteration", "0")),
                "relevance": int(qrel.relevance),
            }
        )
    return qrels
