"""Naming rules of run files.

Which suffixes mark a run file, how a dataset's name becomes a run file's name and back, and the run tag.
"""

from __future__ import annotations

import re
from pathlib import Path

TREC_RUN_SUFFIXES = (".run", ".trec", ".txt", ".tsv")
"""Suffixes of TREC run files (the format runs are written in)."""

JSONL_RUN_SUFFIXES = (".jsonl", ".json")
"""Suffixes of JSONL run files (read only)."""

RUN_SUFFIXES = TREC_RUN_SUFFIXES + JSONL_RUN_SUFFIXES
"""Every suffix that marks a path as a run file rather than a dataset id."""

DEFAULT_RUN_SUFFIX = ".run"


def run_file_name(dataset_name: str) -> str:
    """A dataset's name as a run file's name: ``beir/scifact/test`` -> ``beir__scifact__test.run``.

    Other characters unsafe in file names become ``_`` (the reverse of :func:`dataset_id_of_run_file`).
    """
    stem = re.sub(r"[^A-Za-z0-9._+=-]", "_", dataset_name.replace("/", "__")).strip(".") or "run"
    return f"{stem}{DEFAULT_RUN_SUFFIX}"


def named_run_file(run_name: str, index: int | None = None) -> str:
    """The file name for a user's ``run_name``: ``.run`` appended unless it ends with a TREC run suffix.

    With ``index``, ``_<index>`` is added before the suffix (one run per dataset).
    """
    suffix = Path(run_name).suffix
    stem, suffix = (run_name[: -len(suffix)], suffix) if suffix in TREC_RUN_SUFFIXES else (run_name, DEFAULT_RUN_SUFFIX)
    return f"{stem}_{index}{suffix}" if index is not None else f"{stem}{suffix}"


def check_run_name(owner: str, run_name: str | None) -> str | None:
    """Refuses a ``run_name`` that is not a plain file name or names a JSONL file (runs are written as TREC)."""
    if run_name is None:
        return None
    if not run_name.strip() or "/" in run_name or "\\" in run_name:
        raise ValueError(f"{owner}: run_name {run_name!r} must be a file name (no folders)")
    if Path(run_name).suffix in JSONL_RUN_SUFFIXES:
        raise ValueError(
            f"{owner}: run_name {run_name!r}: runs are written in the TREC format; use a {TREC_RUN_SUFFIXES} suffix"
        )
    return run_name


def dataset_id_of_run_file(path: Path) -> str:
    """The dataset id a run file's name points to: the part before the first ``.`` with ``__`` read as ``/``.

    For example ``beir__scifact__test.bm25.run`` -> ``beir/scifact/test``.
    """
    return path.name.split(".")[0].replace("__", "/")


def run_tag(name_or_path: str | None) -> str:
    """The run tag (last column of a TREC run): a model's name without folders, else ``lightning-ir``."""
    name = str(name_or_path or "")
    tag = re.sub(r"\s+", "_", Path(name.rstrip("/")).name) if name else ""
    return tag or "lightning-ir"
