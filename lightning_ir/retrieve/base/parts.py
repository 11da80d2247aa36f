"""Index parts of a distributed indexing run: every process streams its documents into a shard of its own.

Processes other than the one that saves the index write their shard into a shared folder beside the index, as their
documents are encoded; the saving process then takes the shards over in rank order (moving them into the index being
written, no copy), so the index is made of one shard per process.

Usage (every process knows ``parts_dir``, on a file system they all share)::

    writer = PartWriter(parts_dir, rank, index_config, model_config)  # ranks 1..n-1
    writer.add(doc_ids, embeddings, scoring_mask)  # per batch, written right away
    writer.close()                                 # then a barrier
    add_parts(indexer, parts_dir, world_size)      # rank 0, before indexer.save()
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from .batch_check import check_batch, duplicate_error
from .doc_id_set import DocIdSet, hash_doc_ids
from .format import iter_doc_ids
from .indexer import Indexer
from .model_config import ScoringModelConfig, ScoringSettings
from .shard_writer import ShardData, ShardWriter

if TYPE_CHECKING:
    from .index_config import IndexConfig


def parts_dir_for(index_dir: str | Path, token: str) -> Path:
    """The hidden folder beside ``index_dir`` that holds the parts of the run identified by ``token``."""
    index_dir = Path(index_dir).absolute()
    return index_dir.with_name(f".{index_dir.name}.parts-{token}")


def part_folder(parts_dir: Path, rank: int) -> Path:
    """The shard folder of process ``rank`` inside ``parts_dir``."""
    return parts_dir / f"rank{rank:05d}"


class PartWriter:
    """Streams one process's documents into its shard folder, checking batches as the indexer does.

    Args:
        parts_dir: The shared parts folder (created).
        rank: The process's rank (its shard is ``rank<rank>`` in ``parts_dir``).
        index_config: The index configuration (its indexer class gives the shard layout).
        model_config: The bi-encoder configuration (scoring settings).
    """

    def __init__(self, parts_dir: Path, rank: int, index_config: IndexConfig, model_config: ScoringModelConfig) -> None:
        self.indexer_class = index_config.indexer_class
        self.folder = part_folder(parts_dir, rank)
        self.writer: ShardWriter = self.indexer_class.shard_writer(
            self.folder, ScoringSettings.from_model_config(model_config), index_config
        )
        self._dim: int | None = None
        self._doc_ids = DocIdSet(self._known_doc_ids, spill_root=parts_dir)  # removed with the parts folder

    def add(self, doc_ids: Sequence[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Writes a batch: ``(batch, seq or 1, dim)`` embeddings and their ``(batch, seq or 1)`` scoring mask.

        Raises:
            ValueError: On the same problems as :meth:`Indexer.add` (ids repeated by this process included).
        """
        doc_ids = list(doc_ids)
        check_batch(doc_ids, embeddings, scoring_mask, self._dim, self.indexer_class.allows_empty_documents)
        hashes = hash_doc_ids(doc_ids)
        duplicates = self._doc_ids.duplicates(doc_ids, hashes)
        if duplicates:
            raise duplicate_error(duplicates, f"added before by this process (shard {self.folder})")
        if not doc_ids:
            return
        self.writer.add(doc_ids, embeddings, scoring_mask.bool())
        self._doc_ids.add(hashes)
        self._dim = embeddings.shape[2]

    def close(self) -> ShardData:
        """Finishes the shard (an empty one when this process got no documents) and describes it in ``shard.json``."""
        self._doc_ids.close()
        if self.writer.num_docs:
            data = self.writer.close()
        else:
            self.writer.abort()
            data = ShardData(num_docs=0, num_embeddings=0, dim=0, multi_vector=False)
        data.write(self.folder)
        return data

    def abort(self) -> None:
        """Closes the shard's files unfinished (the caller removes the parts folder)."""
        self._doc_ids.close()
        self.writer.abort()

    def _known_doc_ids(self) -> Iterator[str]:
        self.writer.flush()
        yield from iter_doc_ids(self.folder)


def add_parts(indexer: Indexer, parts_dir: Path, world_size: int) -> None:
    """Takes over the shards of ranks ``1 .. world_size - 1`` in rank order as shards of ``indexer``'s index.

    Documents already in the index are left out (a distributed sampler repeats a few documents to even out the
    processes' shares).
    """
    for rank in range(1, world_size):
        indexer.add_shard(part_folder(parts_dir, rank), drop_duplicates=True)


def remove_parts(parts_dir: Path | None) -> None:
    """Deletes a parts folder (after the index was saved, or when the run failed)."""
    if parts_dir is not None:
        shutil.rmtree(parts_dir, ignore_errors=True)
