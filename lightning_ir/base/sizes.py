"""Fitting a config's sequence lengths to what its backbone can encode.

The checks that sizes are positive integers live in :mod:`lightning_ir.validation`.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch


def backbone_max_length(backbone: torch.nn.Module) -> int | None:
    """The most tokens the backbone can encode in one sequence, or None when it sets no limit.

    That is the size of its position embedding table, less the positions a RoBERTa-style model reserves before its
    first token (its position ids start after the padding index); else the config's ``max_position_embeddings``.
    Backbones without absolute positions (DeBERTa-v2 with ``position_biased_input=False``) have no limit.
    """
    backbone = getattr(backbone, "base_model", backbone)  # the encoder of a model with a head
    config = getattr(backbone, "config", None)
    if getattr(config, "position_biased_input", True) is False:
        return None
    position_embeddings = getattr(getattr(backbone, "embeddings", None), "position_embeddings", None)
    if isinstance(position_embeddings, torch.nn.Embedding):
        padding_idx = position_embeddings.padding_idx
        return position_embeddings.num_embeddings - (0 if padding_idx is None else padding_idx + 1)
    limit = getattr(config, "max_position_embeddings", None)
    return limit if isinstance(limit, int) and limit > 0 else None


def fit_lengths_to_backbone(config: Any, backbone: torch.nn.Module) -> None:
    """Lower ``config.query_length`` and ``config.doc_length`` to the backbone's limit, warning for each.

    Longer inputs would index past the backbone's position embeddings. The lengths are upper bounds, so lowering them
    keeps their meaning; refusing them instead would make the default ``doc_length=512`` fail on every backbone with
    a shorter position table.
    """
    limit = backbone_max_length(backbone)
    if limit is None:
        return
    for option in ("query_length", "doc_length"):
        value = getattr(config, option, None)
        if isinstance(value, int) and value > limit:
            model_type = getattr(getattr(backbone, "config", None), "model_type", "backbone")
            warnings.warn(
                f"{type(config).__name__}: {option}={value} is more than the {limit} tokens the {model_type!r} "
                f"backbone can encode; using {option}={limit}",
                stacklevel=3,
            )
            setattr(config, option, limit)
