"""The on-disk index format: ``config.json``, the doc ids file, arrays, and the atomic write into place.

An index is a directory::

    index_dir/
        config.json      IndexMetadata (format version, index type, model type, scoring settings, sizes)
        doc_ids.txt      one document id per line, in index order
        ...              index data written by the indexer (.npy arrays, index.faiss)
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .model_config import ScoringSettings

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
DOC_IDS_FILE = "doc_ids.txt"
EMBEDDINGS_FILE = "embeddings.npy"
DOC_LENGTHS_FILE = "doc_lengths.npy"


class IndexFormatError(ValueError):
    """An index directory exists but is corrupt, incomplete or inconsistent."""


@dataclass
class IndexMetadata:
    """The contents of an index's ``config.json``.

    Attributes:
        index_type: Which indexer wrote the index (e.g. ``"torch-dense"``, ``"faiss-ivf"``, ``"sparse"``).
        scoring: The bi-encoder scoring settings the index was built with.
        num_docs: Number of documents.
        num_embeddings: Number of stored vectors (tokens for multi-vector, non-zeros for sparse indexes).
        dim: Size of each vector (the vocabulary size for sparse indexes).
        multi_vector: Whether documents have several vectors each (ColBERT-style).
        normalized: Whether stored vectors were L2-normalised (cosine similarity).
        index_config: The index configuration's parameters.
        model_config: The full model configuration, when it offered ``to_dict()``.
        format_version: Version of this on-disk format.
    """

    index_type: str
    scoring: ScoringSettings
    num_docs: int
    num_embeddings: int
    dim: int
    multi_vector: bool
    normalized: bool
    index_config: dict[str, Any] = field(default_factory=dict)
    model_config: dict[str, Any] | None = None
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-serialisable dictionary."""
        data = asdict(self)
        data["scoring"] = self.scoring.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path) -> IndexMetadata:
        """Parses and validates a ``config.json`` dictionary.

        Args:
            data: The parsed JSON.
            path: The file it came from (for error messages).

        Raises:
            IndexFormatError: On an unsupported format version or missing/invalid fields.
        """
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise IndexFormatError(
                f"{path}: unsupported index format version {version!r}, this lightning_ir reads version "
                f"{FORMAT_VERSION}; rebuild the index"
            )
        try:
            return cls(
                index_type=str(data["index_type"]),
                scoring=ScoringSettings.from_dict(data["scoring"]),
                num_docs=int(data["num_docs"]),
                num_embeddings=int(data["num_embeddings"]),
                dim=int(data["dim"]),
                multi_vector=bool(data["multi_vector"]),
                normalized=bool(data["normalized"]),
                index_config=dict(data.get("index_config") or {}),
                model_config=data.get("model_config"),
                format_version=version,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise IndexFormatError(f"{path}: invalid index config ({type(error).__name__}: {error})") from error


def write_metadata(index_dir: Path, metadata: IndexMetadata) -> None:
    """Writes ``config.json`` into ``index_dir``."""
    with open(index_dir / CONFIG_FILE, "w", encoding="utf-8") as file:
        json.dump(metadata.to_dict(), file, indent=2, default=str)


def read_metadata(index_dir: str | Path) -> IndexMetadata:
    """Reads and validates an index's ``config.json``.

    Raises:
        FileNotFoundError: If the directory or its ``config.json`` does not exist.
        IndexFormatError: If ``config.json`` is corrupt or from another format version.
    """
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        raise FileNotFoundError(f"index directory {index_dir} does not exist; build it with an Indexer first")
    path = index_dir / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {index_dir} is not a (complete) lightning_ir index")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IndexFormatError(f"{path} is corrupt (not valid JSON: {error})") from error
    return IndexMetadata.from_dict(data, path)


def write_doc_ids(index_dir: Path, doc_ids: Sequence[str]) -> None:
    """Writes the document ids, one per line."""
    with open(index_dir / DOC_IDS_FILE, "w", encoding="utf-8", newline="\n") as file:
        for doc_id in doc_ids:
            file.write(doc_id)
            file.write("\n")


def read_doc_ids(index_dir: Path, num_docs: int) -> list[str]:
    """Reads the document ids and checks there are ``num_docs`` of them.

    Raises:
        FileNotFoundError: If the file is missing.
        IndexFormatError: If the number of ids does not match.
    """
    path = index_dir / DOC_IDS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the index at {index_dir} is incomplete")
    doc_ids = path.read_text(encoding="utf-8").split("\n")
    if doc_ids and doc_ids[-1] == "":
        doc_ids.pop()
    if len(doc_ids) != num_docs:
        raise IndexFormatError(f"{path} holds {len(doc_ids)} doc ids but {index_dir / CONFIG_FILE} says {num_docs}")
    return doc_ids


def load_array(
    path: Path, shape: tuple[int, ...], dtype: np.dtype | type | None = None, mmap: bool = False
) -> np.ndarray:
    """Loads a ``.npy`` array and checks its shape (and dtype).

    Args:
        path: The ``.npy`` file.
        shape: The expected shape.
        dtype: The expected dtype, if it should be checked.
        mmap: Memory-map the file instead of reading it.

    Raises:
        FileNotFoundError: If the file is missing.
        IndexFormatError: If it cannot be read or has the wrong shape or dtype.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the index at {path.parent} is incomplete")
    try:
        array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise IndexFormatError(f"{path} is corrupt ({error})") from error
    if array.shape != shape:
        raise IndexFormatError(f"{path} has shape {array.shape}, expected {shape} from {path.parent / CONFIG_FILE}")
    if dtype is not None and array.dtype != np.dtype(dtype):
        raise IndexFormatError(f"{path} has dtype {array.dtype}, expected {np.dtype(dtype)}")
    return array


def load_doc_lengths(index_dir: Path, metadata: IndexMetadata) -> np.ndarray:
    """Loads ``doc_lengths.npy`` (vectors per document) and checks it against ``config.json``.

    Raises:
        FileNotFoundError: If the file is missing.
        IndexFormatError: If its shape or sum does not match.
    """
    path = index_dir / DOC_LENGTHS_FILE
    lengths = load_array(path, (metadata.num_docs,), np.int64)
    if int(lengths.sum()) != metadata.num_embeddings:
        raise IndexFormatError(
            f"{path}: document lengths sum to {int(lengths.sum())}, but {index_dir / CONFIG_FILE} says "
            f"{metadata.num_embeddings} embeddings"
        )
    return lengths


@contextmanager
def staging_directory(index_dir: Path) -> Iterator[Path]:
    """Yields a fresh temporary sibling of ``index_dir`` and renames it into place when the block succeeds.

    A previous index at ``index_dir`` is replaced only at the very end. If the block raises, the temporary
    directory is removed and any previous index stays as it was.

    Args:
        index_dir: Where the finished index goes.

    Yields:
        The temporary directory to write into.
    """
    index_dir = Path(index_dir).absolute()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    staging = index_dir.with_name(f".{index_dir.name}.tmp-{tag}")
    staging.mkdir()
    try:
        yield staging
        _replace_directory(staging, index_dir, index_dir.with_name(f".{index_dir.name}.old-{tag}"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_directory(source: Path, target: Path, backup: Path) -> None:
    """Renames ``source`` to ``target``, moving an existing ``target`` aside first and restoring it on failure."""
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise FileExistsError(f"cannot write an index to {target}: a file with that name exists")
        os.replace(target, backup)
        try:
            os.replace(source, target)
        except BaseException:
            os.replace(backup, target)
            raise
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(source, target)
