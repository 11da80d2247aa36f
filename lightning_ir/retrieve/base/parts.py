"""Index parts of a distributed indexing run.

Processes other than the one that saves the index write their documents' vectors to part files in a shared
folder; the saving process adds them to its indexer in rank order.

Usage (every process knows ``parts_dir``, on a file system they all share)::

    writer = PartWriter(parts_dir, rank)          # ranks 1..n-1
    writer.add(doc_ids, embeddings, scoring_mask)  # per batch; full parts are written as they fill
    writer.close()                                 # then a barrier
    add_parts(indexer, parts_dir, world_size)      # rank 0, before indexer.save()
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import torch

from .indexer import Indexer

PART_ELEMENTS = 1 << 25
"""Embedding values buffered before a part file is written (128 MiB of float32)."""


def parts_dir_for(index_dir: str | Path, token: str) -> Path:
    """The hidden folder beside ``index_dir`` that holds the parts of the run identified by ``token``."""
    index_dir = Path(index_dir).absolute()
    return index_dir.with_name(f".{index_dir.name}.parts-{token}")


class PartWriter:
    """Buffers one process's document vectors and writes them as numbered part files.

    Each part is written to a temporary name and renamed, so a part file is complete or absent.

    Args:
        parts_dir: The shared parts folder (created).
        rank: The process's rank (parts are named ``rank<rank>-<n>.pt``).
        part_elements: Embedding values buffered before a part is written.
    """

    def __init__(self, parts_dir: Path, rank: int, part_elements: int = PART_ELEMENTS) -> None:
        self.parts_dir = parts_dir
        self.rank = rank
        self.part_elements = part_elements
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        self._batches: list[tuple[list[str], torch.Tensor, torch.Tensor]] = []
        self._elements = 0
        self._num_parts = 0

    def add(self, doc_ids: Sequence[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Buffers a batch: ``(batch, seq or 1, dim)`` embeddings and their ``(batch, seq or 1)`` scoring mask."""
        vectors = embeddings.detach().to("cpu", torch.float32)
        self._batches.append((list(doc_ids), vectors, scoring_mask.detach().to("cpu", torch.bool)))
        self._elements += vectors.numel()
        if self._elements >= self.part_elements:
            self._write()

    def close(self) -> None:
        """Writes what is still buffered."""
        if self._batches:
            self._write()

    def _write(self) -> None:
        doc_ids = [doc_id for ids, _, _ in self._batches for doc_id in ids]
        part = {"doc_ids": doc_ids, "batches": [(vectors, mask) for _, vectors, mask in self._batches]}
        path = self.parts_dir / f"rank{self.rank:05d}-{self._num_parts:06d}.pt"
        temporary = path.with_suffix(".tmp")
        torch.save(part, temporary)
        temporary.rename(path)
        self._num_parts += 1
        self._batches, self._elements = [], 0


def add_parts(indexer: Indexer, parts_dir: Path, world_size: int) -> None:
    """Adds the parts of ranks ``1 .. world_size - 1`` to ``indexer`` in rank order.

    Documents already in the indexer are skipped (a distributed sampler repeats a few documents to even out the
    processes' shares).
    """
    seen = set(indexer.doc_ids)
    for rank in range(1, world_size):
        for path in sorted(parts_dir.glob(f"rank{rank:05d}-*.pt")):
            part = torch.load(path, weights_only=True)
            position = 0
            for vectors, mask in part["batches"]:
                doc_ids = part["doc_ids"][position : position + vectors.shape[0]]
                position += vectors.shape[0]
                keep = [i for i, doc_id in enumerate(doc_ids) if doc_id not in seen]
                if not keep:
                    continue
                if len(keep) < len(doc_ids):
                    index = torch.tensor(keep)
                    vectors, mask, doc_ids = vectors[index], mask[index], [doc_ids[i] for i in keep]
                indexer.add(doc_ids, vectors, mask)
                seen.update(doc_ids)


def remove_parts(parts_dir: Path | None) -> None:
    """Deletes a parts folder (after the index was saved, or when the run failed)."""
    if parts_dir is not None:
        shutil.rmtree(parts_dir, ignore_errors=True)
