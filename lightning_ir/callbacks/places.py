"""Default output places of the inference callbacks, as the user guide describes them.

For a model loaded from a local folder, outputs go beside the model: ``<model dir>/indexes/<doc dataset id>`` and
``<model dir>/runs/``. For a model loaded by its Hugging Face hub name (no local folder), they go under the trainer's
log dir: ``<log dir>/indexes/<doc dataset id>`` and ``<log dir>/runs/`` (``<log dir>`` is the trainer's
``default_root_dir`` when there is no logger).
"""

from __future__ import annotations

from pathlib import Path

from lightning import LightningModule, Trainer


def model_dir(module: LightningModule) -> Path | None:
    """The local folder the module's model was loaded from, or None (a hub name, or a model built in Python)."""
    name = str(getattr(getattr(module, "config", None), "name_or_path", "") or "")
    return Path(name) if name and Path(name).is_dir() else None


def default_output_dir(trainer: Trainer, module: LightningModule, kind: str) -> Path:
    """``<model dir>/<kind>`` for a model from a local folder, else ``<log dir>/<kind>``.

    Every process must call it (the log dir is broadcast).
    """
    log_dir = Path(trainer.log_dir or trainer.default_root_dir)
    local = model_dir(module)
    return (local if local is not None else log_dir) / kind
