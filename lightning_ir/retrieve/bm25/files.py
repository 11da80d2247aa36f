"""The files of a BM25 index and their checks.

A BM25 index is a Lightning IR index directory (``config.json`` with the format version, ``doc_ids.txt``) that also
holds the files bm25s' ``BM25.save`` writes::

    index_dir/
        config.json                      IndexMetadata: index_type "bm25", the BM25IndexConfig, sizes
        doc_ids.txt                      one document id per line, in index order
        params.index.json                bm25s parameters (method, k1, b, delta, num_docs, version)
        vocab.index.json                 term -> column of the score matrix
        data.csc.index.npy               the (term, document) scores, CSC by term
        indices.csc.index.npy            the document of each score
        indptr.csc.index.npy             where each term's scores start
        nonoccurrence_array.index.npy    bm25l / bm25+ only: the score of a term a document lacks

:func:`check_bm25_files` reads every file before bm25s loads them, so a missing or corrupt file is reported by name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..base.format import CONFIG_FILE, IndexFormatError, IndexMetadata, load_array

PARAMS_FILE = "params.index.json"
VOCAB_FILE = "vocab.index.json"
DATA_FILE = "data.csc.index.npy"
INDICES_FILE = "indices.csc.index.npy"
INDPTR_FILE = "indptr.csc.index.npy"
NONOCCURRENCE_FILE = "nonoccurrence_array.index.npy"

NONOCCURRENCE_METHODS = ("bm25l", "bm25+")
"""BM25 variants that give a term a document lacks a score (stored in :data:`NONOCCURRENCE_FILE`)."""


def read_json_file(path: Path) -> Any:
    """Parses a JSON file of the index.

    Raises:
        FileNotFoundError: The file is missing.
        IndexFormatError: It is not valid UTF-8 JSON.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the index at {path.parent} is incomplete")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IndexFormatError(f"{path} is corrupt (not valid JSON: {error})") from error


def check_bm25_files(index_dir: Path, metadata: IndexMetadata, method: str) -> None:
    """Checks the bm25s files of the index at ``index_dir`` against its ``config.json``.

    Args:
        index_dir: The index directory.
        metadata: Its validated ``config.json`` (``num_docs`` documents, ``dim`` terms, ``num_embeddings`` scores).
        method: The BM25 variant the index was built with.

    Raises:
        FileNotFoundError: A file is missing.
        IndexFormatError: A file is corrupt or does not fit the others (the message names it).
    """
    params = read_json_file(index_dir / PARAMS_FILE)
    if not isinstance(params, dict) or params.get("num_docs") != metadata.num_docs or params.get("method") != method:
        raise IndexFormatError(
            f"{index_dir / PARAMS_FILE} does not describe the {metadata.num_docs} documents and method {method!r} of "
            f"{index_dir / CONFIG_FILE}"
        )
    vocab = read_json_file(index_dir / VOCAB_FILE)
    if not isinstance(vocab, dict) or sorted(vocab.values()) != list(range(metadata.dim)):
        raise IndexFormatError(
            f"{index_dir / VOCAB_FILE} must map {metadata.dim} terms to the columns 0..{metadata.dim - 1}"
        )
    nnz = metadata.num_embeddings
    indptr = load_array(index_dir / INDPTR_FILE, (metadata.dim + 1,), mmap=True)
    indices = load_array(index_dir / INDICES_FILE, (nnz,), mmap=True)
    data = load_array(index_dir / DATA_FILE, (nnz,), mmap=True, finite=True)
    _check_kind(index_dir / INDPTR_FILE, indptr, "iu")
    _check_kind(index_dir / INDICES_FILE, indices, "iu")
    _check_kind(index_dir / DATA_FILE, data, "f")
    if indptr[0] != 0 or indptr[-1] != nnz:
        raise IndexFormatError(f"{index_dir / INDPTR_FILE} is not a valid CSC column index for {nnz} scores")
    if bool(np.any(np.diff(indptr) < 0)):
        raise IndexFormatError(f"{index_dir / INDPTR_FILE} is not a valid CSC column index (it decreases)")
    if nnz and (int(indices.min()) < 0 or int(indices.max()) >= metadata.num_docs):
        raise IndexFormatError(f"{index_dir / INDICES_FILE} names documents outside [0, {metadata.num_docs})")
    if method in NONOCCURRENCE_METHODS:
        array = load_array(index_dir / NONOCCURRENCE_FILE, (metadata.dim,), finite=True)
        _check_kind(index_dir / NONOCCURRENCE_FILE, array, "f")


def _check_kind(path: Path, array: np.ndarray, kinds: str) -> None:
    if array.dtype.kind not in kinds:
        expected = "floating point" if kinds == "f" else "integer"
        raise IndexFormatError(f"{path} has dtype {array.dtype}, expected {expected} values")
