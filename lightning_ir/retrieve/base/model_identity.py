"""Which model built an index: its name or path and a fingerprint of its weights, checked when searching."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

FINGERPRINT_SAMPLES = 4096
"""Values sampled (evenly spaced) from each weight tensor for the fingerprint."""


class ModelMismatchError(ValueError):
    """An index is searched with a model other than the one that built it."""


@dataclass(frozen=True)
class ModelIdentity:
    """The model an index was built with.

    Attributes:
        name_or_path: The hub name or folder the model was loaded from (informative only: copies and renames of the
            same weights are the same model).
        fingerprint: SHA-256 over the names, shapes and evenly spaced samples of every weight tensor, rounded to
            bfloat16: the same weights held in float32 or bfloat16 give the same fingerprint (their embeddings agree),
            while fine-tuning moves weights by more than that rounding and changes it.
    """

    name_or_path: str
    fingerprint: str

    @classmethod
    def of(cls, model: torch.nn.Module, name_or_path: str | Path | None = None) -> ModelIdentity:
        """The identity of ``model``; ``name_or_path`` defaults to ``model.config.name_or_path``."""
        if name_or_path is None:
            name_or_path = getattr(getattr(model, "config", None), "name_or_path", "") or ""
        return cls(name_or_path=str(name_or_path), fingerprint=model_fingerprint(model))

    @classmethod
    def from_dict(cls, data: Any) -> ModelIdentity | None:
        """Reads the dictionary written by :meth:`to_dict` (None for indexes written without one)."""
        if not isinstance(data, dict) or not isinstance(data.get("fingerprint"), str):
            return None
        return cls(name_or_path=str(data.get("name_or_path") or ""), fingerprint=data["fingerprint"])

    def to_dict(self) -> dict[str, str]:
        """A JSON-serialisable dictionary."""
        return asdict(self)


def model_fingerprint(model: torch.nn.Module) -> str:
    """A hex SHA-256 fingerprint of ``model``'s weights (see :class:`ModelIdentity`); cheap for any model size."""
    digest = hashlib.sha256()
    for name, parameter in sorted(model.state_dict().items()):
        if not torch.is_tensor(parameter) or not parameter.is_floating_point():
            continue
        flat = parameter.detach().reshape(-1)
        step = max(1, flat.numel() // FINGERPRINT_SAMPLES)
        sample = flat[::step][:FINGERPRINT_SAMPLES].to("cpu", torch.bfloat16).view(torch.int16)
        digest.update(f"{name}:{tuple(parameter.shape)};".encode())
        digest.update(sample.numpy().tobytes())
    return digest.hexdigest()


def check_model_identity(
    stored: ModelIdentity | None, current: ModelIdentity | None, index_dir: Path, allow_mismatch: bool = False
) -> None:
    """Refuses to search an index with a model whose weights differ from the ones that built it.

    Searching with other weights scores query vectors against document vectors from another embedding space: the
    ranking is meaningless, yet nothing fails, so this is an error unless ``allow_mismatch`` (then a warning).

    Args:
        stored: The identity stored with the index (None for indexes written without one: not checked).
        current: The query model's identity (None: not checked).
        index_dir: The index, for messages.
        allow_mismatch: Warn instead of raising.

    Raises:
        ModelMismatchError: The fingerprints differ and ``allow_mismatch`` is False.
    """
    if stored is None or current is None or stored.fingerprint == current.fingerprint:
        return
    message = (
        f"the index at {index_dir} was built with the model {stored.name_or_path or '(unnamed)'} (weights "
        f"fingerprint {stored.fingerprint[:12]}), but the query model {current.name_or_path or '(unnamed)'} has other "
        f"weights (fingerprint {current.fingerprint[:12]}): its query vectors do not match the indexed document vectors"
    )
    if not allow_mismatch:
        raise ModelMismatchError(
            f"{message}; re-index with this model, or pass allow_model_mismatch=True to search anyway"
        )
    warnings.warn(f"{message}; searching anyway (allow_model_mismatch=True)", stacklevel=3)
