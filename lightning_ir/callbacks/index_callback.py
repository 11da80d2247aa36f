"""IndexCallback: builds an index from the document embeddings of the test loop."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import torch
from lightning import Callback, LightningModule, Trainer

from ..bi_encoder.module import BiEncoderModule
from ..data.batches import IndexBatch
from ..retrieve.base.index_config import IndexConfig
from ..retrieve.base.indexer import Indexer
from ..retrieve.base.model_identity import ModelIdentity

PART_ELEMENTS = 1 << 25
"""Embedding values a process other than process 0 buffers before writing a part file (128 MiB of float32)."""


class IndexCallback(Callback):
    """Adds the document embeddings of every ``IndexBatch`` of ``trainer.index`` (or ``trainer.test``) to an index
    and saves it at the end of the loop.

    The index is written by ``index_config.indexer_class`` into a temporary directory that is renamed to
    ``index_dir`` only when complete: a run that fails midway leaves any previous index at ``index_dir`` as it was
    and no half-written one.

    Under DDP every process encodes its shard of the collection. Processes other than 0 write their embeddings to
    part files in a temporary folder next to ``index_dir`` (on a file system all processes share); process 0 adds
    them to the index after its own documents and saves it, so the index holds every document exactly once (ids
    repeated by a distributed sampler's padding are dropped).

    Only a previous Lightning IR index (or an empty folder) at ``index_dir`` is ever replaced; any other existing
    path is refused when the loop starts, before any document is encoded.
    A symlinked ``index_dir`` keeps pointing where it pointed: the index is written there.

    Args:
        index_dir: Where the index directory is written (replacing a previous index there).
        index_config: The index type and its parameters (e.g. ``TorchDenseIndexConfig()``).
        verbose: Log progress while saving.

    Attributes:
        num_docs: Documents in the index written by the last run (the documents of all dataloaders go into one
            index).
        num_docs_per_dataloader: Documents this process encoded, by dataloader index.
        seconds: Wall-clock seconds of the last run (encoding and saving).
    """

    def __init__(self, index_dir: str | Path, index_config: IndexConfig, verbose: bool = False) -> None:
        super().__init__()
        if not isinstance(index_config, IndexConfig):
            raise TypeError(
                f"IndexCallback: index_config must be an IndexConfig (e.g. TorchDenseIndexConfig()), got "
                f"{type(index_config).__name__}"
            )
        self.index_dir = Path(index_dir)
        self.index_config = index_config
        self.verbose = verbose
        self.num_docs = 0
        self.num_docs_per_dataloader: dict[int, int] = {}
        self.seconds = 0.0
        self._indexer: Indexer | None = None
        self._parts_dir: Path | None = None
        self._part: list[tuple[list[str], torch.Tensor, torch.Tensor]] = []
        self._part_elements = 0
        self._num_parts = 0
        self._start = 0.0

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Check the module is a bi-encoder and prepare an empty indexer (and, under DDP, the parts folder)."""
        if not isinstance(pl_module, BiEncoderModule):
            raise TypeError(
                f"IndexCallback: indexing needs a BiEncoderModule (document embeddings), got {type(pl_module).__name__}"
            )
        self._start = time.perf_counter()
        self.num_docs = 0
        self.num_docs_per_dataloader = {}
        self._part, self._part_elements, self._num_parts = [], 0, 0
        self._indexer = None
        if trainer.is_global_zero:
            identity = ModelIdentity.of(pl_module.model, pl_module.config.name_or_path)
            self._indexer = self.index_config.indexer_class(
                self.index_dir, self.index_config, pl_module.config, verbose=self.verbose, model_identity=identity
            )
        self._parts_dir = None
        if trainer.world_size > 1:
            token = trainer.strategy.broadcast(uuid.uuid4().hex[:12], src=0)
            index_dir = self.index_dir.absolute()
            self._parts_dir = index_dir.with_name(f".{index_dir.name}.parts-{token}")
            if not trainer.is_global_zero:
                self._parts_dir.mkdir(parents=True, exist_ok=True)

    def on_test_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """Add the batch's document embeddings to the index (process 0) or to this process's part."""
        if not isinstance(batch, IndexBatch):
            return
        embeddings = getattr(outputs, "doc_embeddings", None)
        if embeddings is None:
            raise ValueError("IndexCallback: the module's output for an IndexBatch has no doc_embeddings")
        count = self.num_docs_per_dataloader.get(dataloader_idx, 0)
        self.num_docs_per_dataloader[dataloader_idx] = count + len(batch.doc_ids)
        if self._indexer is not None:
            self._indexer.add(batch.doc_ids, embeddings.embeddings, embeddings.scoring_mask)
            return
        vectors = embeddings.embeddings.detach().to("cpu", torch.float32)
        self._part.append((list(batch.doc_ids), vectors, embeddings.scoring_mask.detach().to("cpu", torch.bool)))
        self._part_elements += vectors.numel()
        if self._part_elements >= PART_ELEMENTS:
            self._write_part(trainer.global_rank)

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Merge the parts of the other processes (DDP) and save the index atomically."""
        try:
            if self._parts_dir is not None:
                if self._part:
                    self._write_part(trainer.global_rank)
                trainer.strategy.barrier("IndexCallback.parts_written")
                if self._indexer is not None:
                    self._add_parts(trainer.world_size)
            counts = trainer.strategy.broadcast(self._indexer.num_docs if self._indexer is not None else 0, src=0)
            if self._indexer is not None and self._indexer.num_docs:
                self._indexer.save()
        finally:
            self._cleanup(trainer.is_global_zero)
        self.num_docs = int(counts)
        if trainer.world_size > 1:
            trainer.strategy.barrier("IndexCallback.saved")
        self.seconds = time.perf_counter() - self._start

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        """Drop what was collected; a previous index at ``index_dir`` stays as it was."""
        self._cleanup(remove_parts=True)

    def _write_part(self, rank: int) -> None:
        assert self._parts_dir is not None
        doc_ids = [doc_id for ids, _, _ in self._part for doc_id in ids]
        part = {"doc_ids": doc_ids, "batches": [(vectors, mask) for _, vectors, mask in self._part]}
        path = self._parts_dir / f"rank{rank:05d}-{self._num_parts:06d}.pt"
        temporary = path.with_suffix(".tmp")
        torch.save(part, temporary)
        temporary.rename(path)
        self._num_parts += 1
        self._part, self._part_elements = [], 0

    def _add_parts(self, world_size: int) -> None:
        """Add the other processes' parts, in rank order, skipping documents already in the index."""
        assert self._indexer is not None and self._parts_dir is not None
        seen = set(self._indexer.doc_ids)
        for rank in range(1, world_size):
            for path in sorted(self._parts_dir.glob(f"rank{rank:05d}-*.pt")):
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
                    self._indexer.add(doc_ids, vectors, mask)
                    seen.update(doc_ids)

    def _cleanup(self, remove_parts: bool) -> None:
        if remove_parts and self._parts_dir is not None:
            shutil.rmtree(self._parts_dir, ignore_errors=True)
        self._indexer = None
        self._part, self._part_elements = [], 0
