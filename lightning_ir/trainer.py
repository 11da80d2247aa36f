"""LightningIRTrainer: a Lightning ``Trainer`` that also writes Hugging Face checkpoints."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from lightning import Trainer

from .base.module import LightningIRModule

HUGGINGFACE_CHECKPOINT_DIR = "huggingface_checkpoint"
"""Name of the folder, next to the Lightning checkpoints, that holds the model in Hugging Face format."""


class LightningIRTrainer(Trainer):
    """A Lightning :class:`~lightning.Trainer` for Lightning IR modules; it takes every ``Trainer`` argument.

    ``fit`` fine-tunes a module (see :class:`~lightning_ir.base.module.LightningIRModule`). Every checkpoint the
    trainer saves (by ``ModelCheckpoint`` or :meth:`save_checkpoint`) is also written in Hugging Face format
    (``config.json``, ``model.safetensors``, tokenizer files) to ``<checkpoint folder>/huggingface_checkpoint``,
    which ``BiEncoderModule(path)``, ``CrossEncoderModule(path)`` and ``AutoModel.from_pretrained(path)`` load. The
    folder always holds the model of the most recent checkpoint; it is written to a temporary folder and renamed
    into place, so it is never half-written.

    Example:
        >>> trainer = LightningIRTrainer(max_steps=100)  # doctest: +SKIP
        >>> trainer.fit(module, datamodule)  # doctest: +SKIP
    """

    def save_checkpoint(
        self, filepath: str | Path, weights_only: bool | None = None, storage_options: Any | None = None
    ) -> None:
        """Save a Lightning checkpoint to ``filepath`` and the model in Hugging Face format beside it.

        Args:
            filepath: Where the Lightning checkpoint is written.
            weights_only: Save only the weights in the Lightning checkpoint.
            storage_options: Passed to the ``CheckpointIO`` plugin.
        """
        super().save_checkpoint(filepath, weights_only, storage_options)
        module = self.lightning_module
        if self.is_global_zero and isinstance(module, LightningIRModule):
            save_huggingface_checkpoint(module, Path(filepath).parent / HUGGINGFACE_CHECKPOINT_DIR)
        self.strategy.barrier("LightningIRTrainer.save_checkpoint")


def save_huggingface_checkpoint(module: LightningIRModule, directory: str | Path) -> Path:
    """Write ``module``'s model and tokenizer in Hugging Face format to ``directory``, replacing it atomically.

    The files go to a temporary sibling folder first, which is then renamed to ``directory`` (a previous folder is
    moved aside and deleted only after the new one is in place).

    Args:
        module: The module to save.
        directory: The target folder.

    Returns:
        ``directory``.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    temporary = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
    previous = directory.with_name(f".{directory.name}.old-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    module.save_pretrained(temporary)
    if directory.exists():
        directory.rename(previous)
    temporary.rename(directory)
    shutil.rmtree(previous, ignore_errors=True)
    return directory
