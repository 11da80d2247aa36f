"""Base class of all indexers: validates batches, streams them into a shard, writes the index directory atomically."""

from __future__ import annotations

import logging
import shutil
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import torch

from ...options import IndexMode
from ...validation import check_option
from .batch_check import check_batch, duplicate_error
from .doc_id_set import DocIdSet, hash_doc_ids
from .existing_index import ExistingIndex
from .format import CONFIG_FILE, IndexMetadata, check_index_target, iter_doc_ids, staging_directory, write_metadata
from .model_config import ScoringModelConfig, ScoringSettings, model_config_to_dict
from .model_identity import ModelIdentity
from .shard_writer import SHARD_FILE, ShardData, ShardWriter
from .shards import ShardInfo, link_tree, next_shard_path

if TYPE_CHECKING:
    from .index_config import IndexConfig

logger = logging.getLogger(__name__)

ID_BLOCK = 1 << 16
"""Doc ids hashed at a time when reading back an index's or a shard's ids."""

HASHES_FOLDER = ".doc-id-hashes"
"""Folder in the temporary index folder that holds the doc id hashes while indexing (removed before saving)."""


class Indexer(ABC):
    """Builds an index directory from document embeddings added batch by batch.

    Usage::

        indexer = index_config.indexer_class(index_dir, index_config, model_config)
        for batch in batches:
            indexer.add(batch_doc_ids, doc_embeddings, doc_scoring_mask)
        indexer.save()

    Documents are streamed to disk as they are added, into a temporary sibling folder of ``index_dir`` (created with
    the first batch) that :meth:`save` renames into place; memory does not grow with the collection. A failure at any
    point, or an indexer dropped without saving (see :meth:`abort`), leaves a previous index at ``index_dir`` intact.
    Only a previous Lightning IR index (or an empty folder) is ever replaced: any other existing ``index_dir`` is
    refused when the indexer is created, before any document is encoded.

    With ``mode="add"`` the documents are added to the index at ``index_dir`` as a new shard (the index is built
    when there is none yet). The new index is a copy of the old one made of hard links plus the new shard, renamed
    into place atomically; the documents must come from the same model, scoring settings and index config, and
    their ids must not be in the index yet.

    Args:
        index_dir: Where the index directory is written (through a symbolic link: where the link points).
        index_config: The index configuration.
        model_config: The bi-encoder configuration (``model_type``, ``similarity_function``,
            ``query_aggregation_function``, ``embedding_dim``); its scoring settings are stored with the index.
        verbose: Log progress while saving.
        model_identity: The model that encodes the documents (stored with the index; searchers compare it with the
            query model's).
        mode: ``"overwrite"`` replaces an existing index, ``"add"`` adds the documents to it.

    Raises:
        OverwriteRefusedError: ``index_dir`` exists and is neither a Lightning IR index nor an empty folder.
        ValueError: ``mode="add"`` and the existing index was built differently (see above).
        ModelMismatchError: ``mode="add"`` and the existing index was built with a model with other weights.
    """

    index_type: ClassVar[str]

    allows_empty_documents: ClassVar[bool] = False
    """Whether a single-vector document without a scoring vector may be added (it then can never be found)."""

    def __init__(
        self,
        index_dir: str | Path,
        index_config: IndexConfig,
        model_config: ScoringModelConfig,
        verbose: bool = False,
        model_identity: ModelIdentity | None = None,
        mode: IndexMode = "overwrite",
    ) -> None:
        check_option(type(self).__name__, "mode", mode, IndexMode)
        check_index_target(index_dir)
        self.index_dir = Path(index_dir)
        self.model_identity = model_identity
        self.index_config = index_config
        self.scoring = ScoringSettings.from_model_config(model_config)
        self.model_config_dict = model_config_to_dict(model_config)
        self.verbose = verbose
        self.mode = mode
        self.existing = ExistingIndex.open(self.index_dir) if mode == "add" else None
        if self.existing is not None:
            self.existing.check_compatible(self.index_type, self.scoring, index_config, model_identity)
        self._dim: int | None = None if self.existing is None else self.existing.metadata.dim
        self._shards: list[ShardInfo] = [] if self.existing is None else list(self.existing.metadata.shards)
        self._new_shards: list[tuple[ShardInfo, ShardData]] = []
        self._writer_path = ""
        self._allocated: list[str] = []
        self._num_docs = 0
        self._state = "open"
        self._open = _OpenFiles()
        weakref.finalize(self, self._open.abort)
        known = weakref.WeakMethod(self._known_doc_ids)  # no reference cycle: a dropped indexer is freed at once
        folder = weakref.WeakMethod(self._hashes_folder)
        self._doc_ids = DocIdSet(lambda: known()(), spill_root=lambda: folder()())  # type: ignore[misc]
        if self.existing is not None:
            self._hash_ids(self.existing.doc_ids())
        self._start()

    def _start(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Prepares the indexer (e.g. checks an optional backend); called at the end of ``__init__``."""

    @classmethod
    @abstractmethod
    def shard_writer(cls, folder: Path, scoring: ScoringSettings, index_config: IndexConfig) -> ShardWriter:
        """A writer that streams one shard of this index type into ``folder`` (also used by other DDP ranks)."""

    @property
    def num_docs(self) -> int:
        """Number of documents added by this indexer so far (not counting those of an index it adds to)."""
        return self._num_docs

    @property
    def staging_dir(self) -> Path | None:
        """The temporary folder the index is written to (None before the first batch and after saving)."""
        return self._open.staging

    def add(self, doc_ids: Sequence[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Adds a batch of documents (written to disk right away).

        Args:
            doc_ids: The ``batch`` document ids (unique across the whole index, no newlines).
            embeddings: ``(batch, seq or 1, dim)`` document embeddings.
            scoring_mask: ``(batch, seq or 1)`` bool, True for the vectors that take part in scoring.

        Raises:
            ValueError: On shapes that do not fit, a changing ``dim``, or invalid/duplicate doc ids. The batch is
                then not added.
        """
        self._check_usable()
        doc_ids = list(doc_ids)
        check_batch(doc_ids, embeddings, scoring_mask, self._dim, self.allows_empty_documents)
        hashes = hash_doc_ids(doc_ids)
        duplicates = self._doc_ids.duplicates(doc_ids, hashes)
        if duplicates:
            raise duplicate_error(duplicates, self._where_duplicate())
        if not doc_ids:
            return
        with self._aborting_on_error():
            if self._open.writer is None:
                self._writer_path = self._allocate_shard()
                folder = self._shard_folder(self._writer_path)
                self._open.writer = self.shard_writer(folder, self.scoring, self.index_config)
            self._open.writer.add(doc_ids, embeddings, scoring_mask.bool())
        self._doc_ids.add(hashes)
        self._num_docs += len(doc_ids)
        self._dim = embeddings.shape[2]

    def add_shard(self, folder: Path, drop_duplicates: bool = False) -> int:
        """Takes over a closed shard written by :meth:`shard_writer` (e.g. by another DDP rank) as a new shard.

        The folder is moved into the index being written; it must be on the same file system to be moved cheaply.

        Args:
            folder: The shard folder (with its ``shard.json``).
            drop_duplicates: Leave out documents whose ids are already in the index (a distributed sampler repeats
                a few documents to even out the processes' shares) instead of refusing them.

        Returns:
            The number of documents taken over.

        Raises:
            ValueError: The shard repeats doc ids (and ``drop_duplicates`` is False) or has another vector size.
        """
        self._check_usable()
        data = ShardData.read(folder)
        keep = self._new_ids_mask(folder, data.num_docs, drop_duplicates)
        if not keep.any():
            return 0
        if self._dim is not None and data.dim != self._dim:
            raise ValueError(f"the shard at {folder} has vectors of dim {data.dim}, the index has dim {self._dim}")
        with self._aborting_on_error():
            path = self._allocate_shard()
            target = self._shard_folder(path)
            if keep.all():
                _move_shard(folder, target)
            else:
                writer = self.shard_writer(target, self.scoring, self.index_config)
                try:
                    writer.copy_documents(folder, data, keep)
                    data = writer.close()
                except BaseException:
                    writer.abort()
                    raise
            self._new_shards.append((ShardInfo(path, data.num_docs, data.num_embeddings), data))
        self._hash_ids(iter_doc_ids(target))
        self._num_docs += data.num_docs
        self._dim = data.dim
        return data.num_docs

    def save(self) -> Path:
        """Finishes the index and renames it to ``index_dir``; returns the path.

        Raises:
            ValueError: If no documents were added.
            RuntimeError: In ``mode="add"``, if the index changed on disk since the indexer was created.
        """
        self._check_usable()
        staging = self._open.staging
        if staging is None:
            raise ValueError(f"cannot save the index at {self.index_dir}: no documents were added")
        with self._aborting_on_error():
            writer = self._open.writer
            if writer is not None:
                data = writer.close()
                self._new_shards.append((ShardInfo(self._writer_path, data.num_docs, data.num_embeddings), data))
                self._open.writer = None
            self._doc_ids.close()
            shutil.rmtree(staging / HASHES_FOLDER, ignore_errors=True)
            self._new_shards.sort(key=lambda entry: self._allocated.index(entry[0].path))
            if self.existing is not None:
                link_tree(self.existing.index_dir, staging, skip={CONFIG_FILE})
            self._finalize(staging, [(shard.folder(staging), data) for shard, data in self._new_shards])
            write_metadata(staging, self._metadata())
            if self.existing is not None and not self.existing.unchanged():
                raise RuntimeError(
                    f"the index at {self.index_dir} changed while documents were added to it (another process?); "
                    "nothing was added"
                )
            self._open.commit()
            self._state = "saved"
        if self.verbose:
            logger.info("saved %s index of %d documents to %s", self.index_type, self._num_docs, self.index_dir)
        return self.index_dir

    def abort(self) -> None:
        """Drops everything added so far (the temporary folder is removed; a previous index stays as it was).

        The indexer cannot be used afterwards (nor after :meth:`save`). Errors while writing abort it too.
        """
        self._open.abort()
        if self._state == "open":
            self._state = "aborted"

    def _check_usable(self) -> None:
        if self._state != "open":
            done = "saved its index" if self._state == "saved" else "was aborted (after an error)"
            raise RuntimeError(f"this indexer for {self.index_dir} {done}; create a new indexer to index again")

    def _finalize(self, staging_dir: Path, shards: list[tuple[Path, ShardData]]) -> None:  # noqa: B027 - a hook
        """Completes the new shards' data (train quantizers, build faiss indexes); ``staging_dir`` holds the index."""

    def _metadata(self) -> IndexMetadata:
        base = self.existing.metadata if self.existing is not None else None
        new = [data for _, data in self._new_shards]
        shards = self._shards + [shard for shard, _ in self._new_shards]
        return IndexMetadata(
            index_type=self.index_type,
            scoring=self.scoring,
            num_docs=sum(shard.num_docs for shard in shards),
            num_embeddings=sum(shard.num_embeddings for shard in shards),
            dim=self._dim or 0,
            multi_vector=(base is not None and base.multi_vector) or any(data.multi_vector for data in new),
            normalized=self.scoring.similarity_function == "cosine",
            index_config=self.index_config.to_dict(),
            model_config=self.model_config_dict,
            model_identity=self.model_identity if base is None else base.model_identity or self.model_identity,
            shards=shards,
        )

    def _allocate_shard(self) -> str:
        """Opens the temporary folder on first use and returns the path of a new shard in it."""
        self._open.start(self.index_dir)
        path = next_shard_path([shard.path for shard in self._shards] + self._allocated)
        self._allocated.append(path)
        return path

    def _shard_folder(self, path: str) -> Path:
        assert self._open.staging is not None
        return ShardInfo(path, 0, 0).folder(self._open.staging)

    def _new_ids_mask(self, folder: Path, num_docs: int, drop_duplicates: bool) -> np.ndarray:
        """``(num_docs,)`` bool: the documents of ``folder`` whose ids are new (refusing repeats unless dropped)."""
        keep = np.ones(num_docs, dtype=bool)
        ids = iter_doc_ids(folder)
        done = [0]
        within = DocIdSet(lambda: islice(iter_doc_ids(folder), done[0]), spill_root=self._hashes_folder)
        try:
            for start in range(0, num_docs, ID_BLOCK):
                chunk = [next(ids) for _ in range(min(ID_BLOCK, num_docs - start))]
                hashes = hash_doc_ids(chunk)
                kept = keep[start : start + len(chunk)]
                kept[:] = self._new_in_chunk(chunk, hashes, within)
                within.add(hashes)
                done[0] += len(chunk)
                if not drop_duplicates and not kept.all():
                    repeated = [doc_id for doc_id, new in zip(chunk, kept.tolist(), strict=True) if not new]
                    raise duplicate_error(list(dict.fromkeys(repeated)), f"the shard at {folder} repeats them")
        finally:
            within.close()
        return keep

    def _new_in_chunk(self, chunk: list[str], hashes: np.ndarray, within: DocIdSet) -> np.ndarray:
        """``(len(chunk),)`` bool: ids neither in the index, nor earlier in the shard, nor earlier in ``chunk``."""
        before = self._doc_ids.contains(chunk, hashes) | within.contains(chunk, hashes)
        new = np.ones(len(chunk), dtype=bool)
        seen: set[str] = set()
        for position, doc_id in enumerate(chunk):
            new[position] = not before[position] and doc_id not in seen
            seen.add(doc_id)
        return new

    def _hashes_folder(self) -> Path:
        """Where the doc id hashes are written: a folder in the temporary index folder (which is opened for it)."""
        self._open.start(self.index_dir)
        assert self._open.staging is not None
        return self._open.staging / HASHES_FOLDER

    def _hash_ids(self, doc_ids: Iterator[str]) -> None:
        while chunk := [doc_id for _, doc_id in zip(range(ID_BLOCK), doc_ids, strict=False)]:
            self._doc_ids.add(hash_doc_ids(chunk))

    def _known_doc_ids(self) -> Iterator[str]:
        if self.existing is not None:
            yield from self.existing.doc_ids()
        for shard, _ in self._new_shards:
            yield from iter_doc_ids(self._shard_folder(shard.path))
        if self._open.writer is not None:
            self._open.writer.flush()
            yield from iter_doc_ids(self._open.writer.folder)

    def _where_duplicate(self) -> str:
        if self.existing is not None:
            return f"already in the index at {self.index_dir} or added before"
        return "added before"

    def _aborting_on_error(self) -> ExitStack:
        stack = ExitStack()
        stack.push(lambda kind, error, traceback: self.abort() if kind is not None else None)
        return stack


class _OpenFiles:
    """The temporary folder and the open shard writer of an indexer (released by ``abort`` or when dropped)."""

    def __init__(self) -> None:
        self.stack: ExitStack | None = None
        self.staging: Path | None = None
        self.writer: ShardWriter | None = None

    def start(self, index_dir: Path) -> None:
        """Creates the temporary folder beside ``index_dir`` (once)."""
        if self.stack is None:
            stack = ExitStack()
            self.staging = stack.enter_context(staging_directory(index_dir))
            self.stack = stack

    def commit(self) -> None:
        """Renames the temporary folder into place."""
        stack, self.stack, self.staging = self.stack, None, None
        if stack is not None:
            stack.close()

    def abort(self) -> None:
        """Closes the writer and removes the temporary folder."""
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
        stack, self.stack, self.staging = self.stack, None, None
        if stack is not None:
            stack.__exit__(RuntimeError, RuntimeError("indexing aborted"), None)


def _move_shard(folder: Path, target: Path) -> None:
    """Moves a closed shard's files to ``target`` (a new shard folder, or the index folder itself for its first shard).

    The shard's own ``shard.json`` is dropped: the index's metadata lists the shard from then on.
    """
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder, target)
        (target / SHARD_FILE).unlink()
        return
    for child in folder.iterdir():
        if child.name != SHARD_FILE:
            shutil.move(child, target / child.name)
    (folder / SHARD_FILE).unlink()
    folder.rmdir()
