"""Reading single tensors (a ColBERT projection) from a published checkpoint's weight files."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open

from ...base.layouts import CheckpointFiles
from ...base.loading import WEIGHT_FILES, naming_damaged_files

_INDEX_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
_SINGLE_FILES = ("model.safetensors", "pytorch_model.bin")


def tensor_file(files: CheckpointFiles, name: str, folder: str = "") -> Path | None:
    """The local weight file of the checkpoint's ``folder`` (``""`` or ``"1_Dense/"``) that holds tensor ``name``.

    A sharded checkpoint's index says which shard holds it; otherwise the folder's single weight file is returned
    (safetensors first), whether or not it holds ``name``. None when the folder has no weight file.
    """
    for index_name in _INDEX_FILES:
        index = files.json(folder + index_name)
        if isinstance(index, dict) and isinstance(index.get("weight_map"), dict):
            shard = index["weight_map"].get(name)
            return None if shard is None else files.file(folder + str(shard))
    for weight_name in _SINGLE_FILES:
        path = files.file(folder + weight_name)
        if path is not None:
            return path
    return None


def read_tensor(files: CheckpointFiles, name: str, folder: str = "") -> torch.Tensor | None:
    """The tensor ``name`` of the checkpoint's ``folder``, or None when its weight files do not hold it.

    Only that tensor is read (from a ``.bin`` checkpoint through a memory map where the file allows it).

    Raises:
        ValueError: If the weight file is damaged (naming it).
    """
    path = tensor_file(files, name, folder)
    if path is None:
        return None
    with naming_damaged_files(path.parent, "ColModel", WEIGHT_FILES):
        if path.suffix == ".safetensors":
            with safe_open(str(path), "pt") as weights:
                return weights.get_tensor(name) if name in weights.keys() else None  # noqa: SIM118
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # a checkpoint of the legacy (not zip) format cannot be memory-mapped
            state = torch.load(path, map_location="cpu", weights_only=True)
    tensor = state.get(name) if isinstance(state, dict) else None
    return tensor if isinstance(tensor, torch.Tensor) else None
