"""ColBERT checkpoints as colbert-ai (stanford-futuredata/ColBERT, ``colbert-ir/colbertv2.0``) saves them.

colbert-ai's ``BaseColBERT.save`` writes the Hugging Face model ``HF_ColBERT`` (``config.json`` architectures
``["HF_ColBERT"]``; the encoder's weights under its base-model prefix, ``bert.``, and the projection
``linear.weight`` ``(dim, hidden)`` without bias in the same weight file), the tokenizer, and its settings in
``artifact.metadata``. colbert-ai encodes and scores as follows, which :func:`colbert_ir_config` reproduces:

- A query is tokenised to ``query_maxlen - 1`` tokens padded to that length, ``query_token_id`` (``[unused0]``) is
  inserted after ``[CLS]``, and padding becomes ``[MASK]`` tokens (query expansion); the attention mask excludes
  them unless ``attend_to_mask_tokens``. Every query vector, [MASK] ones included, takes part in scoring.
- A document is tokenised to ``doc_maxlen - 1`` tokens, ``doc_token_id`` (``[unused1]``) is inserted after
  ``[CLS]``; with ``mask_punctuation`` its punctuation tokens (and padding) are left out of scoring.
- Every token's last hidden state goes through ``linear`` and is L2-normalised; the score sums, over the query's
  vectors, the maximum dot product with the document's vectors (cosine similarity).

Without ``artifact.metadata``, colbert-ai's defaults apply (``query_maxlen`` 32, ``doc_maxlen`` 220); the
dimension is always read from ``linear.weight``. The ``l2`` similarity and the ``flipr`` interaction are refused.
"""

from __future__ import annotations

from typing import Any

import torch

from ...base.layouts import CheckpointFiles, CheckpointLayout
from .config import ColConfig
from .weights import read_tensor

ARCHITECTURE = "HF_ColBERT"
"""The ``architectures`` entry of a colbert-ir checkpoint's ``config.json``."""

PROJECTION_WEIGHT = "linear.weight"
"""The projection's weight in a colbert-ir checkpoint's weight file."""

METADATA_FILE = "artifact.metadata"

_DEFAULTS: dict[str, Any] = {
    "query_maxlen": 32,
    "doc_maxlen": 220,
    "query_token_id": "[unused0]",
    "doc_token_id": "[unused1]",
    "attend_to_mask_tokens": False,
    "mask_punctuation": True,
    "similarity": "cosine",
    "interaction": "colbert",
}
"""colbert-ai's defaults (``colbert/infra/config/settings.py``) for settings a checkpoint's metadata lacks."""


def is_colbert_ir(files: CheckpointFiles) -> bool:
    """Whether the checkpoint is colbert-ai's: ``HF_ColBERT`` in ``config.json`` and a ``linear.weight``."""
    return ARCHITECTURE in files.architectures and PROJECTION_WEIGHT in files.weight_names()


def colbert_ir_projection(files: CheckpointFiles) -> dict[str, torch.Tensor] | None:
    """The projection's state dict (``weight``) of a colbert-ir checkpoint, or None for other checkpoints."""
    if not is_colbert_ir(files):
        return None
    weight = read_tensor(files, PROJECTION_WEIGHT)
    return None if weight is None else {"weight": weight}


def _metadata(files: CheckpointFiles) -> dict[str, Any]:
    metadata = files.json(METADATA_FILE)
    if isinstance(metadata, dict) and isinstance(metadata.get("config"), dict):  # as colbert-ai's from_path reads it
        metadata = metadata["config"]
    settings = dict(_DEFAULTS)
    if isinstance(metadata, dict):
        settings.update({key: metadata[key] for key in _DEFAULTS if metadata.get(key) is not None})
    return settings


def colbert_ir_config(files: CheckpointFiles) -> ColConfig | None:
    """The :class:`ColConfig` that encodes and scores as colbert-ai does with this checkpoint, or None.

    Raises:
        ValueError: For settings colbert-ai scores with that Lightning IR does not reproduce (naming the file).
    """
    if not is_colbert_ir(files):
        return None
    settings = _metadata(files)
    for key, supported in (("similarity", "cosine"), ("interaction", "colbert")):
        if settings[key] != supported:
            raise ValueError(
                f"{files.name_or_path}/{METADATA_FILE}: {key} {settings[key]!r} is not supported; Lightning IR "
                f"reproduces colbert-ai's {key} {supported!r}"
            )
    weight = read_tensor(files, PROJECTION_WEIGHT)
    if weight is None or weight.dim() != 2:
        raise ValueError(f"{files.name_or_path}: {PROJECTION_WEIGHT} must be a (dim, hidden) matrix")
    return ColConfig(
        query_length=int(settings["query_maxlen"]),
        doc_length=int(settings["doc_maxlen"]),
        query_token=str(settings["query_token_id"]),
        doc_token=str(settings["doc_token_id"]),
        attend_to_query_expanded_tokens=bool(settings["attend_to_mask_tokens"]),
        doc_mask_scoring_tokens="punctuation" if settings["mask_punctuation"] else None,
        embedding_dim=int(weight.shape[0]),
        projection="linear_no_bias",
    )


COLBERT_IR_LAYOUT = CheckpointLayout(
    family="ColBERT (colbert-ir / colbert-ai, e.g. `colbert-ir/colbertv2.0`)",
    kind="bi-encoder",
    recognised_by="`config.json` architectures `HF_ColBERT` with a `linear.weight` projection in the weights; "
    "settings from `artifact.metadata` (query/doc maxlen, `[unused0]`/`[unused1]` markers, "
    "`attend_to_mask_tokens`, `mask_punctuation`)",
    reference="colbert-ai `Checkpoint` + `colbert_score` (and PyLate), scores recorded in a fixture",
    detect=colbert_ir_config,
)
"""colbert-ai checkpoints load as :class:`~lightning_ir.models.col.ColModel` and score as colbert-ai does."""
