"""What every SciFact bench sets before its imports: the local SciFact files, offline model loading, the repository."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def prepare_environment(model: str | None = None) -> None:
    """Points ``IR_DATASETS_HOME`` at SciFact and keeps the hub offline; call it before importing ir_datasets.

    ``IR_DATASETS_HOME`` (when unset) becomes ``.cache/ir_datasets`` of the repository, copied from the offline
    mirror ``../shared/ir_datasets`` the first time. huggingface_hub reads ``HF_HUB_OFFLINE`` when it is imported, so
    it is decided here: always offline without ``model``, else offline when ``model`` is a folder or in the hub cache.

    Args:
        model: The model the bench loads (a hub name or a folder), or None to stay offline regardless.
    """
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if "IR_DATASETS_HOME" not in os.environ:
        home = REPO_ROOT / ".cache" / "ir_datasets"
        shared = REPO_ROOT.parent / "shared" / "ir_datasets" / "beir"
        if not (home / "beir").exists() and shared.exists():
            home.mkdir(parents=True, exist_ok=True)
            shutil.copytree(shared, home / "beir")
        os.environ["IR_DATASETS_HOME"] = str(home)
    if model is None or Path(model).is_dir() or _in_hub_cache(model):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def _in_hub_cache(model: str) -> bool:
    """Whether the hub cache holds a snapshot of ``model``."""
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    hub_cache = Path(os.environ.get("HF_HUB_CACHE", hf_home / "hub"))
    return (hub_cache / f"models--{model.replace('/', '--')}" / "snapshots").is_dir()
