"""A training-tuples folder: mined (and teacher-scored) tuples with the texts they need, usable as a dataset id.

Hard-negative mining (:class:`~lightning_ir.experiment.mining.HardNegativeMiner`) and teacher scoring
(:func:`~lightning_ir.experiment.teacher_scores.score_tuples`) write a collection folder that
:class:`~lightning_ir.data.TupleDataset` reads by its path (see
:func:`lightning_ir.data.ir_datasets_utils.folder_files`)::

    <folder>/
        docpairs.jsonl       {"query_id": ..., "doc_ids": [positive, negative, ...], "scores": [...]} per line
        queries.jsonl        {"query_id": ..., "text": ...} for the queries of the tuples
        docs.jsonl           {"doc_id": ..., "text": ...} for the documents of the tuples (only those)
        qrels.tsv            query_id<TAB>doc_id<TAB>relevance: the source's judgements of those queries (if any)
        training-tuples.json what was written, from what, with which settings (marks the folder as the library's)
        runs/<stage>.run     the first-stage run that was mined, when the miner ran the first stage itself

The folder holds only the documents its tuples name, so it stays small beside a large collection and trains in any
process without the source collection being registered there. It is written atomically; an existing folder is
replaced only when it is a training-tuples folder (or empty).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..data.local_formats import LocalDocTuple
from ..data.run_file import is_run_file

MANIFEST = "training-tuples.json"
"""The file that describes a training-tuples folder (and marks it as written by the library)."""

FORMAT = "lightning-ir training tuples"
"""The ``format`` value of the manifest."""

FILES = ("docpairs.jsonl", "queries.jsonl", "docs.jsonl", "qrels.tsv", MANIFEST)
"""The files of a training-tuples folder (besides ``runs/``)."""

RUNS_DIR = "runs"
"""Sub-folder of the first-stage runs the miner produced itself."""

WHAT = "training tuples folder"
"""What the folder is called in messages."""


def is_tuples_folder(path: Path) -> bool:
    """Whether ``path`` is a training-tuples folder written by the library (and so may be replaced by a new one).

    It holds nothing but the files of :data:`FILES` (its manifest saying :data:`FORMAT`) and a ``runs/`` folder of
    run files.
    """
    if not path.is_dir():
        return False
    for child in path.iterdir():
        if child.is_symlink():
            return False
        if child.name == RUNS_DIR and child.is_dir():
            if not all(run.is_file() and not run.is_symlink() and is_run_file(run) for run in child.iterdir()):
                return False
        elif child.name not in FILES or not child.is_file():
            return False
    return read_manifest(path) is not None


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest of a training-tuples folder, or None when there is none (or it is not the library's)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return None
    return manifest


def write_tuples_files(
    folder: Path,
    tuples: Sequence[LocalDocTuple],
    queries: Mapping[str, str],
    docs: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    manifest: Mapping[str, Any],
) -> dict[str, Any]:
    """Writes the files of a training-tuples folder into ``folder`` (a staging folder of ``atomic_directory``).

    Args:
        folder: The folder to write into (it exists).
        tuples: The tuples (the first document of each is the positive one); scores on all of them or none.
        queries: The text of every query the tuples name.
        docs: The text of every document the tuples name.
        qrels: The judgements of the tuples' queries (written for those queries only; may be empty).
        manifest: Settings and provenance, added to the manifest beside the counts.

    Returns:
        The manifest written.

    Raises:
        ValueError: No tuple, scores on some tuples only, or a query or document without a text.
    """
    if not tuples:
        raise ValueError(f"cannot write a {WHAT} without tuples")
    scored = [item.scores is not None for item in tuples]
    if any(scored) and not all(scored):
        raise ValueError(f"cannot write a {WHAT}: some tuples have teacher scores and others do not")
    query_ids = _unique(item.query_id for item in tuples)
    doc_ids = _unique(doc_id for item in tuples for doc_id in item.doc_ids)
    missing_queries = [query_id for query_id in query_ids if query_id not in queries]
    missing_docs = [doc_id for doc_id in doc_ids if doc_id not in docs]
    if missing_queries or missing_docs:
        raise ValueError(f"{WHAT}: no text for queries {missing_queries[:5]} / documents {missing_docs[:5]}")
    _write_lines(folder / "docpairs.jsonl", (_tuple_json(item) for item in tuples))
    _write_lines(folder / "queries.jsonl", (_json({"query_id": q, "text": queries[q]}) for q in query_ids))
    _write_lines(folder / "docs.jsonl", (_json({"doc_id": d, "text": docs[d]}) for d in doc_ids))
    judged = [(q, d, r) for q in query_ids for d, r in qrels.get(q, {}).items()]
    if judged:
        _write_lines(folder / "qrels.tsv", (f"{q}\t{d}\t{r}" for q, d, r in judged))
    written = {
        **manifest,
        "format": FORMAT,
        "num_tuples": len(tuples),
        "num_queries": len(query_ids),
        "num_docs": len(doc_ids),
        "docs_per_tuple": sorted({len(item.doc_ids) for item in tuples}),
        "scored": all(scored),
    }
    (folder / MANIFEST).write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")
    return written


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _json(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _tuple_json(item: LocalDocTuple) -> str:
    obj: dict[str, Any] = {"query_id": item.query_id, "doc_ids": list(item.doc_ids)}
    if item.scores is not None:
        obj["scores"] = [float(score) for score in item.scores]
    return _json(obj)


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for line in lines:
            file.write(line + "\n")
