"""Base class of the shard writers: stream one shard's document ids and data files into a folder as batches arrive."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import numpy as np
import torch

from .errors import IndexFormatError
from .format import DOC_IDS_FILE, iter_doc_ids
from .npy_file import NpyReader

SHARD_FILE = "shard.json"
"""Describes a shard written apart from its index (by another process under DDP) until the index adopts it."""


@dataclass
class ShardData:
    """What a shard writer wrote.

    Attributes:
        num_docs: Number of documents.
        num_embeddings: Number of stored vectors (or non-zeros).
        dim: Size of each vector (vocabulary size for sparse shards; 0 for a shard without documents).
        multi_vector: Whether documents have several vectors.
    """

    num_docs: int
    num_embeddings: int
    dim: int
    multi_vector: bool

    def write(self, folder: Path) -> None:
        """Writes ``shard.json`` into ``folder``."""
        (folder / SHARD_FILE).write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> ShardData:
        """Reads ``shard.json`` from ``folder``.

        Raises:
            IndexFormatError: If it is missing or invalid (the shard was not completely written).
        """
        path = folder / SHARD_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                num_docs=int(data["num_docs"]),
                num_embeddings=int(data["num_embeddings"]),
                dim=int(data["dim"]),
                multi_vector=bool(data["multi_vector"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IndexFormatError(f"{path} is missing or invalid: the shard was not completely written") from error


class ShardWriter(ABC):
    """Streams the documents of one shard into ``folder``: ``doc_ids.txt`` and the index type's data files.

    Batches must be validated by the caller. Nothing is held in memory beyond the current batch.

    Args:
        folder: The shard's folder (created; must not hold a shard yet).
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.num_docs = 0
        self._ids: IO[str] | None = open(folder / DOC_IDS_FILE, "x", encoding="utf-8", newline="\n")  # noqa: SIM115

    def add(self, doc_ids: Sequence[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Appends a validated batch: ``(batch, seq or 1, dim)`` embeddings, their ``(batch, seq or 1)`` bool mask."""
        self._add(embeddings, scoring_mask)
        self._write_ids(doc_ids)

    def copy_documents(self, source: Path, source_data: ShardData, keep: np.ndarray, block: int = 1 << 16) -> None:
        """Appends the documents of the closed shard ``source`` (written by the same kind of writer) where ``keep``.

        Args:
            source: The shard folder to copy from.
            source_data: What ``source`` holds.
            keep: ``(num_docs,)`` bool, False for documents that are left out.
            block: Documents read at a time.
        """
        readers = self._open_source(source, source_data)
        try:
            ids = iter_doc_ids(source)
            for start in range(0, keep.shape[0], block):
                chunk = [next(ids) for _ in range(min(block, keep.shape[0] - start))]
                selected = keep[start : start + len(chunk)]
                self._copy_block(start, start + len(chunk), selected)
                self._write_ids([doc_id for doc_id, kept in zip(chunk, selected.tolist(), strict=True) if kept])
        finally:
            for reader in readers:
                reader.close()

    def flush(self) -> None:
        """Makes the ids written so far readable from ``doc_ids.txt``."""
        if self._ids is not None:
            self._ids.flush()

    def close(self) -> ShardData:
        """Finishes the shard's files and describes them."""
        if self._ids is not None:
            self._ids.close()
            self._ids = None
        return self._close()

    def abort(self) -> None:
        """Closes the open files without finishing them (the caller removes the folder)."""
        if self._ids is not None:
            self._ids.close()
            self._ids = None
        self._abort()

    def _write_ids(self, doc_ids: Sequence[str]) -> None:
        assert self._ids is not None, "the shard writer is closed"
        self._ids.write("".join(f"{doc_id}\n" for doc_id in doc_ids))
        self.num_docs += len(doc_ids)

    @abstractmethod
    def _add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Appends the data of a validated batch."""

    @abstractmethod
    def _open_source(self, source: Path, source_data: ShardData) -> list[NpyReader]:
        """Prepares reading the closed shard ``source`` for :meth:`_copy_block`; returns the readers to close after."""

    @abstractmethod
    def _copy_block(self, start: int, stop: int, keep: np.ndarray) -> None:
        """Appends the data of the source's documents ``[start, stop)`` where ``keep`` (one entry per document)."""

    @abstractmethod
    def _close(self) -> ShardData:
        """Finishes the data files."""

    @abstractmethod
    def _abort(self) -> None:
        """Closes the data files without finishing them."""
