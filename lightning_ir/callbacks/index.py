"""IndexCallback: builds an index from the document embeddings of the test loop."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from lightning import Callback, LightningModule, Trainer

from ..bi_encoder.module import BiEncoderModule
from ..data.batches import IndexBatch
from ..options import IndexMode
from ..retrieve.base.index_config import IndexConfig
from ..retrieve.base.indexer import Indexer
from ..retrieve.base.model_identity import ModelIdentity
from ..retrieve.base.parts import PartWriter, add_parts, parts_dir_for, remove_parts
from ..validation import check_option
from .places import default_output_dir


class IndexCallback(Callback):
    """Adds the document embeddings of every ``IndexBatch`` to an index and saves it at the end of the loop.

    The batches come from ``trainer.index`` (or ``trainer.test``).

    The index is written by ``index_config.indexer_class``: document vectors are streamed into a temporary directory
    as they are encoded (memory does not grow with the collection), which is renamed to ``index_dir`` only when
    complete: a run that fails midway leaves any previous index at ``index_dir`` as it was and no half-written one.
    With ``mode="add"`` the documents are added to the index at ``index_dir`` as a new shard instead (see
    :class:`~lightning_ir.retrieve.base.indexer.Indexer`), just as atomically.

    Under DDP every process encodes its part of the collection and streams it into a shard of its own. Processes
    other than 0 write theirs into a temporary folder next to ``index_dir`` (on a file system all processes share);
    process 0 takes them over after its own documents and saves the index, so the index holds every document
    exactly once (ids repeated by a distributed sampler's padding are dropped) in one shard per process.

    Only a previous Lightning IR index (or an empty folder) at ``index_dir`` is ever replaced; any other existing
    path is refused when the loop starts, before any document is encoded.
    A symlinked ``index_dir`` keeps pointing where it pointed: the index is written there.

    Args:
        index_dir: Where the index directory is written (replacing a previous index there). Default:
            ``<model dir>/indexes/<doc dataset id>`` for a model loaded from a local folder, else
            ``<trainer log dir>/indexes/<doc dataset id>`` (see :mod:`lightning_ir.callbacks.places`).
        index_config: The index type and its parameters (e.g. ``TorchDenseIndexConfig()``). Default: a
            ``SparseIndexConfig()`` for models whose vectors span the vocabulary (``projection="mlm"``, SPLADE), else
            an exact ``TorchDenseIndexConfig()``.
        verbose: Log progress while saving.
        mode: ``"overwrite"`` replaces a previous index at ``index_dir``; ``"add"`` adds the documents to it (their
            ids must be new to the index; the index is built when there is none yet).

    Attributes:
        index_dir: The index directory of the last run (the default one resolved when the run started), or the
            configured one (None for the default) before any run.
        num_docs: Documents the last run wrote into the index (the documents of all dataloaders go into one index;
            with ``mode="add"``, not counting those the index held before).
        num_docs_per_dataloader: Documents this process encoded, by dataloader index.
        seconds: Wall-clock seconds of the last run (encoding and saving).
    """

    def __init__(
        self,
        index_dir: str | Path | None = None,
        index_config: IndexConfig | None = None,
        verbose: bool = False,
        mode: IndexMode = "overwrite",
    ) -> None:
        super().__init__()
        check_option("IndexCallback", "mode", mode, IndexMode)
        if index_config is not None and not isinstance(index_config, IndexConfig):
            raise TypeError(
                f"IndexCallback: index_config must be an IndexConfig (e.g. TorchDenseIndexConfig()), got "
                f"{type(index_config).__name__}"
            )
        self._index_dir = None if index_dir is None else Path(index_dir)
        self.index_dir: Path | None = self._index_dir
        self._index_config = index_config
        self.index_config: IndexConfig | None = index_config
        self.verbose = verbose
        self.mode = mode
        self.num_docs = 0
        self.num_docs_per_dataloader: dict[int, int] = {}
        self.seconds = 0.0
        self._indexer: Indexer | None = None
        self._parts: PartWriter | None = None
        self._parts_dir: Path | None = None
        self._start = 0.0

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Check the module is a bi-encoder and the target may be written, and prepare the indexer.

        Process 0 gets an empty indexer, the other processes (under DDP) a part writer.
        """
        if not isinstance(pl_module, BiEncoderModule):
            raise TypeError(
                f"IndexCallback: indexing needs a BiEncoderModule (document embeddings), got {type(pl_module).__name__}"
            )
        self._start = time.perf_counter()
        self.num_docs = 0
        self.num_docs_per_dataloader = {}
        self._indexer, self._parts, self._parts_dir = None, None, None
        index_dir = self.index_dir = self._resolve_index_dir(trainer, pl_module)
        index_config = self.index_config = self._index_config or _default_index_config(pl_module)
        if trainer.is_global_zero:
            identity = ModelIdentity.of(pl_module.model, pl_module.config.name_or_path)
            mode = {"mode": self.mode} if self.mode != "overwrite" else {}
            self._indexer = index_config.indexer_class(
                index_dir, index_config, pl_module.config, verbose=self.verbose, model_identity=identity, **mode
            )
        if trainer.world_size > 1:
            self._parts_dir = parts_dir_for(index_dir, trainer.strategy.broadcast(uuid.uuid4().hex[:12], src=0))
            if not trainer.is_global_zero:
                self._parts = PartWriter(self._parts_dir, trainer.global_rank, index_config, pl_module.config)

    def on_test_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """Add the batch's document embeddings to the index (process 0) or to this process's parts."""
        if not isinstance(batch, IndexBatch):
            return
        embeddings = getattr(outputs, "doc_embeddings", None)
        if embeddings is None:
            raise ValueError("IndexCallback: the module's output for an IndexBatch has no doc_embeddings")
        count = self.num_docs_per_dataloader.get(dataloader_idx, 0)
        self.num_docs_per_dataloader[dataloader_idx] = count + len(batch.doc_ids)
        target = self._indexer if self._indexer is not None else self._parts
        if target is not None:
            target.add(batch.doc_ids, embeddings.embeddings, embeddings.scoring_mask)

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Merge the parts of the other processes (DDP) and save the index atomically."""
        try:
            if self._parts_dir is not None:
                if self._parts is not None:
                    self._parts.close()
                trainer.strategy.barrier("IndexCallback.parts_written")
                if self._indexer is not None:
                    add_parts(self._indexer, self._parts_dir, trainer.world_size)
            counts = trainer.strategy.broadcast(self._indexer.num_docs if self._indexer is not None else 0, src=0)
            if self._indexer is not None and self._indexer.num_docs:
                self._indexer.save()
        finally:
            self._release(remove=trainer.is_global_zero)
        self.num_docs = int(counts)
        if trainer.world_size > 1:
            trainer.strategy.barrier("IndexCallback.saved")
        self.seconds = time.perf_counter() - self._start

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        """Drop what was collected; a previous index at ``index_dir`` stays as it was."""
        self._release(remove=True)

    def _resolve_index_dir(self, trainer: Trainer, pl_module: BiEncoderModule) -> Path:
        """The configured ``index_dir``, else the default place for the model and the document datasets."""
        if self._index_dir is not None:
            return self._index_dir
        names = list(pl_module.inference_dataset_names().values())
        return default_output_dir(trainer, pl_module, "indexes") / "+".join(names or ["index"])

    def _release(self, remove: bool) -> None:
        if self._indexer is not None:
            self._indexer.abort()  # after a successful save there is nothing left to drop
        if self._parts is not None:
            self._parts.abort()
        if remove:
            remove_parts(self._parts_dir)
        self._indexer, self._parts = None, None


def _default_index_config(module: BiEncoderModule) -> IndexConfig:
    """A sparse index for vocabulary-sized vectors (``projection="mlm"``), else an exact dense one."""
    from ..retrieve import SparseIndexConfig, TorchDenseIndexConfig

    if getattr(module.config, "projection", None) == "mlm":
        return SparseIndexConfig()
    return TorchDenseIndexConfig()
