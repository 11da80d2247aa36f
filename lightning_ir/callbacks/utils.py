"""Helpers shared by the inference callbacks: gathering Python objects across processes and naming run files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from lightning import LightningModule, Trainer

from ..base.module import LightningIRModule


def gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj`` in rank order (``[obj]`` when not distributed)."""
    distributed = torch.distributed
    if not (distributed.is_available() and distributed.is_initialized()) or distributed.get_world_size() == 1:
        return [obj]
    gathered: list[Any] = [None] * distributed.get_world_size()
    distributed.all_gather_object(gathered, obj)
    return gathered


def check_lightning_ir_module(owner: str, pl_module: LightningModule) -> LightningIRModule:
    """Returns ``pl_module`` if it is a Lightning IR module, else raises a TypeError naming ``owner``."""
    if not isinstance(pl_module, LightningIRModule):
        raise TypeError(f"{owner} works with Lightning IR modules, got {type(pl_module).__name__}")
    return pl_module


def file_name(name: str) -> str:
    """A dataset name as a file name: ``beir/scifact/test`` -> ``beir__scifact__test`` (the reverse of the rule
    ``RunDataset`` uses to find a run file's collection); other unsafe characters become ``_``."""
    return re.sub(r"[^A-Za-z0-9._+=-]", "_", name.replace("/", "__")).strip(".") or "run"


def default_save_dir(trainer: Trainer) -> Path:
    """``<trainer log dir>/runs`` (the default root dir when there is no logger)."""
    return Path(trainer.log_dir or trainer.default_root_dir) / "runs"


def run_tag(pl_module: LightningModule) -> str:
    """The run tag (last column of a TREC run): the model's name without folders, else ``lightning-ir``."""
    name = str(getattr(getattr(pl_module, "config", None), "name_or_path", "") or "")
    tag = re.sub(r"\s+", "_", Path(name.rstrip("/")).name) if name else ""
    return tag or "lightning-ir"
