"""The on-disk index format: ``config.json``, shards, doc ids files, arrays, and the atomic write into place.

An index is a directory::

    index_dir/
        config.json      IndexMetadata (format version, index type, model type, scoring settings, sizes, shards)
        doc_ids.txt      the first shard's document ids, one per line, in index order
        ...              the first shard's data written by the indexer (.npy arrays, index.faiss)
        shards/00001/    further shards (incremental adds, distributed ranks): doc_ids.txt and data files each

The documents of an index are those of its shards in the order ``config.json`` lists them; a document's index
position counts across shards. Format 1 (before shards) is read as an index of one shard.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...atomic import atomic_directory, check_replaceable
from .errors import IndexFormatError
from .model_config import ScoringSettings
from .model_identity import ModelIdentity
from .npy_file import NpyReader
from .shards import ROOT_SHARD, ShardInfo

FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)
"""Format 1 indexes (one shard, float32 vectors) are read as they are."""
CONFIG_FILE = "config.json"
DOC_IDS_FILE = "doc_ids.txt"
EMBEDDINGS_FILE = "embeddings.npy"
DOC_LENGTHS_FILE = "doc_lengths.npy"


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
        model_identity: Name or path and weights fingerprint of the model that built the index (None when unknown).
        format_version: Version of this on-disk format.
        shards: The shards holding the documents, in index order (one shard, the index folder, when empty).
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
    model_identity: ModelIdentity | None = None
    format_version: int = FORMAT_VERSION
    shards: list[ShardInfo] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.shards:
            self.shards = [ShardInfo(ROOT_SHARD, self.num_docs, self.num_embeddings)]

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-serialisable dictionary."""
        data = asdict(self)
        data["scoring"] = self.scoring.to_dict()
        data["model_identity"] = None if self.model_identity is None else self.model_identity.to_dict()
        data["shards"] = [shard.to_dict() for shard in self.shards]
        return data

    @property
    def precision(self) -> str:
        """How dense vectors are stored (``index_config["precision"]``; float32 for indexes without the option)."""
        return str(self.index_config.get("precision") or "float32")

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
        if version not in READABLE_FORMAT_VERSIONS:
            raise IndexFormatError(
                f"{path}: unsupported index format version {version!r}, this lightning_ir reads versions "
                f"{', '.join(map(str, READABLE_FORMAT_VERSIONS))}; rebuild the index (or update lightning_ir)"
            )
        try:
            metadata = cls(
                index_type=str(data["index_type"]),
                scoring=ScoringSettings.from_dict(data["scoring"]),
                num_docs=int(data["num_docs"]),
                num_embeddings=int(data["num_embeddings"]),
                dim=int(data["dim"]),
                multi_vector=bool(data["multi_vector"]),
                normalized=bool(data["normalized"]),
                index_config=dict(data.get("index_config") or {}),
                model_config=data.get("model_config"),
                model_identity=ModelIdentity.from_dict(data.get("model_identity")),
                format_version=version,
                shards=[ShardInfo.from_dict(shard, path) for shard in data.get("shards") or []],
            )
        except IndexFormatError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise IndexFormatError(f"{path}: invalid index config ({type(error).__name__}: {error})") from error
        metadata.check_shards(path)
        return metadata

    def check_shards(self, path: Path) -> None:
        """Raises an :class:`IndexFormatError` when the shards do not add up to the index's sizes."""
        paths = [shard.path for shard in self.shards]
        if len(set(paths)) != len(paths) or paths[0] != ROOT_SHARD:
            raise IndexFormatError(f"{path}: the shards {paths} must be distinct and start with the index folder '.'")
        num_docs = sum(shard.num_docs for shard in self.shards)
        num_embeddings = sum(shard.num_embeddings for shard in self.shards)
        if (num_docs, num_embeddings) != (self.num_docs, self.num_embeddings):
            raise IndexFormatError(
                f"{path}: the shards hold {num_docs} documents and {num_embeddings} vectors, but the index says "
                f"{self.num_docs} and {self.num_embeddings}"
            )


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


def iter_doc_ids(shard_dir: Path) -> Iterator[str]:
    """Yields a shard's document ids, one line at a time (without reading the whole file)."""
    with open(shard_dir / DOC_IDS_FILE, encoding="utf-8", newline="\n") as file:
        for line in file:
            yield line[:-1] if line.endswith("\n") else line


def read_doc_ids(index_dir: Path, num_docs: int) -> list[str]:
    """Reads a shard's document ids and checks there are ``num_docs`` of them.

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
    path: Path, shape: tuple[int, ...], dtype: np.dtype | type | None = None, mmap: bool = False, finite: bool = False
) -> np.ndarray:
    """Loads a ``.npy`` array and checks its shape (and dtype, and that its values are finite).

    Args:
        path: The ``.npy`` file.
        shape: The expected shape.
        dtype: The expected dtype, if it should be checked.
        mmap: Memory-map the file instead of reading it.
        finite: Refuse NaN and infinite values.

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
    if finite:
        check_finite(array, path)
    return array


def open_array(path: Path, shape: tuple[int, ...], dtype: np.dtype | type) -> NpyReader:
    """Opens a ``.npy`` file for explicit block reads and checks its shape and dtype (nothing is loaded).

    Raises:
        FileNotFoundError: If the file is missing.
        IndexFormatError: If it cannot be read or has the wrong shape or dtype.
    """
    reader = NpyReader(path)
    if reader.shape != shape or reader.dtype != np.dtype(dtype):
        reader.close()
        if reader.shape != shape:
            raise IndexFormatError(f"{path} has shape {reader.shape}, expected {shape} from the index's {CONFIG_FILE}")
        raise IndexFormatError(f"{path} has dtype {reader.dtype}, expected {np.dtype(dtype)}")
    return reader


def check_finite(array: np.ndarray, path: Path, block: int = 1 << 16) -> None:
    """Raises an :class:`IndexFormatError` naming ``path`` and the first row that holds a NaN or infinite value.

    The array is read block by block, so memory-mapped arrays are not loaded whole.
    """
    for start in range(0, array.shape[0] if array.ndim else 0, block):
        chunk = np.asarray(array[start : start + block])
        finite = np.isfinite(chunk) if chunk.ndim == 1 else np.isfinite(chunk).all(axis=tuple(range(1, chunk.ndim)))
        if not finite.all():
            row = start + int(np.argmin(finite))
            raise IndexFormatError(f"{path} holds a non-finite value (NaN or inf) in row {row}; rebuild the index")


def load_doc_lengths(shard_dir: Path, num_docs: int, num_embeddings: int, multi_vector: bool) -> np.ndarray:
    """Loads a shard's ``doc_lengths.npy`` (vectors per document) and checks it against ``config.json``.

    Args:
        shard_dir: The shard's folder.
        num_docs: The shard's number of documents.
        num_embeddings: The shard's number of vectors.
        multi_vector: Whether the index may hold several vectors per document.

    Raises:
        FileNotFoundError: If the file is missing.
        IndexFormatError: If its shape or sum does not match.
    """
    path = shard_dir / DOC_LENGTHS_FILE
    lengths = load_array(path, (num_docs,), np.int64)
    if num_docs and int(lengths.min()) < 0:
        raise IndexFormatError(f"{path}: document {int(np.argmin(lengths))} has a negative number of vectors")
    if not multi_vector and (num_embeddings != num_docs or (lengths != 1).any()):
        bad = int(np.argmax(lengths != 1)) if (lengths != 1).any() else 0
        raise IndexFormatError(
            f"{path}: config.json describes a single-vector index, but document {bad} has "
            f"{int(lengths[bad]) if num_docs else 0} vectors ({num_embeddings} vectors for {num_docs} documents)"
        )
    if int(lengths.sum()) != num_embeddings:
        raise IndexFormatError(
            f"{path}: document lengths sum to {int(lengths.sum())}, but config.json says {num_embeddings} embeddings"
        )
    return lengths


def check_finite_file(reader: NpyReader, block: int = 1 << 16) -> None:
    """Like :func:`check_finite` for a file read block by block with explicit reads (bounded memory)."""
    buffer = np.empty((min(block, max(1, reader.num_rows)), *reader.shape[1:]), dtype=reader.dtype)
    for start in range(0, reader.num_rows, block):
        chunk = reader.read(start, start + block, out=buffer)
        finite = np.isfinite(chunk).reshape(chunk.shape[0], -1).all(axis=1)
        if not finite.all():
            row = start + int(np.argmin(finite))
            raise IndexFormatError(
                f"{reader.path} holds a non-finite value (NaN or inf) in row {row}; rebuild the index"
            )


def is_index_dir(path: Path) -> bool:
    """Whether ``path`` is a folder holding a Lightning IR index.

    Its ``config.json`` names an index type and format version; only such folders (or empty ones) are replaced by a
    new index.
    """
    try:
        data = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "index_type" in data and "format_version" in data


def check_index_target(index_dir: str | Path) -> Path:
    """Checks, before any work, that an index may be written to ``index_dir`` and returns where it goes.

    Raises:
        OverwriteRefusedError: ``index_dir`` exists and is neither a Lightning IR index nor an empty folder.
    """
    return check_replaceable(index_dir, is_index_dir, "index")


@contextmanager
def staging_directory(index_dir: str | Path) -> Iterator[Path]:
    """Yields a fresh temporary sibling of ``index_dir`` and renames it into place when the block succeeds.

    Only an existing index (or an empty folder) is replaced, and only at the very end: if the block raises, the
    temporary folder is removed and a previous index stays as it was. A symlinked ``index_dir`` keeps pointing where
    it pointed (the index is written there).

    Raises:
        OverwriteRefusedError: ``index_dir`` exists and is neither a Lightning IR index nor an empty folder.
    """
    with atomic_directory(index_dir, is_index_dir, "index") as staging:
        yield staging
