"""Shards: the folders an index's documents are stored in, one per build, incremental add or distributed rank.

The first shard is the index folder itself (so an index built once looks exactly like a format-1 index); later shards
are ``shards/<n>`` folders. Every shard holds its own ``doc_ids.txt`` and data files, laid out by the index type, and
is never changed once written: adding documents writes a new shard into a copy of the index made of hard links, which
is renamed into place atomically.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ...atomic import STAGING_MARKER
from .errors import IndexFormatError

ROOT_SHARD = "."
SHARDS_DIR = "shards"


@dataclass(frozen=True)
class ShardInfo:
    """One shard of an index, as listed in ``config.json``.

    Attributes:
        path: The shard's folder relative to the index folder (``"."`` for the index folder itself).
        num_docs: Number of documents in the shard.
        num_embeddings: Number of stored vectors (or non-zeros) in the shard.
    """

    path: str
    num_docs: int
    num_embeddings: int

    def to_dict(self) -> dict[str, Any]:
        """Returns a JSON-serialisable dictionary."""
        return {"path": self.path, "num_docs": self.num_docs, "num_embeddings": self.num_embeddings}

    @classmethod
    def from_dict(cls, data: Any, config_path: Path) -> ShardInfo:
        """Parses a shard entry of ``config.json``, refusing paths that leave the index folder."""
        if not isinstance(data, dict):
            raise IndexFormatError(f"{config_path}: a shard entry must be an object, got {data!r}")
        path = str(data.get("path", ""))
        parts = PurePosixPath(path).parts
        if path != ROOT_SHARD and (len(parts) != 2 or parts[0] != SHARDS_DIR or parts[1] in ("", ".", "..")):
            raise IndexFormatError(f"{config_path}: invalid shard path {path!r} (expected '.' or 'shards/<name>')")
        num_docs, num_embeddings = int(data.get("num_docs", -1)), int(data.get("num_embeddings", -1))
        if num_docs < 0 or num_embeddings < 0:
            raise IndexFormatError(f"{config_path}: shard {path!r} has no valid num_docs / num_embeddings")
        return cls(path=path, num_docs=num_docs, num_embeddings=num_embeddings)

    def folder(self, index_dir: Path) -> Path:
        """The shard's folder inside ``index_dir``."""
        return index_dir if self.path == ROOT_SHARD else index_dir.joinpath(*PurePosixPath(self.path).parts)


def next_shard_path(taken: list[str]) -> str:
    """The path of a new shard after the shards at ``taken``: the index folder for the first, else ``shards/<n>``."""
    if not taken:
        return ROOT_SHARD
    number = len(taken)
    while f"{SHARDS_DIR}/{number:05d}" in taken:
        number += 1
    return f"{SHARDS_DIR}/{number:05d}"


def link_tree(source: Path, target: Path, skip: set[str]) -> None:
    """Recreates the files below ``source`` in ``target`` as hard links (copies where links are not possible).

    Index files are never changed once written, so the links share their data safely; ``skip`` names top-level
    entries that are not taken over (the files the caller writes anew).
    """
    for entry in sorted(source.iterdir()):
        if entry.name in skip or entry.name == STAGING_MARKER:
            continue
        destination = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            destination.mkdir(exist_ok=True)
            link_tree(entry, destination, set())
            continue
        try:
            os.link(entry, destination, follow_symlinks=False)
        except OSError:
            shutil.copy2(entry, destination, follow_symlinks=False)
