"""ColBERT-style multi-vector bi-encoder (Khattab and Zaharia, SIGIR 2020)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import torch

from ...base.layouts import CheckpointFiles
from ...base.loading import check_model_path
from ...bi_encoder.model import BiEncoderModel
from .colbert_ir import colbert_ir_projection
from .config import ColConfig
from .pylate import is_pylate, pylate_projection

_HUB_KEYS = ("revision", "cache_dir", "local_files_only", "token")


class ColModel(BiEncoderModel):
    """The multi-vector bi-encoder configured by :class:`ColConfig`.

    Loaded from a published ColBERT checkpoint (a colbert-ir one, or a PyLate folder; see
    :mod:`lightning_ir.models.col`), the encoder and the trained projection are both read from the checkpoint's files.
    """

    config_class = ColConfig
    config: ColConfig

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        pretrained_model_name_or_path: str | Path,
        *args: Any,
        config: ColConfig | None = None,
        **kwargs: Any,
    ) -> ColModel:
        """Load a saved model, a colbert-ir checkpoint, a PyLate folder, or a plain backbone (fresh projection).

        Without ``config``, a published checkpoint's settings are detected from its files (see
        :mod:`lightning_ir.base.layouts`). A PyLate folder is read as PyLate reads it, not as a sentence-transformers
        bi-encoder.
        """
        path = check_model_path(
            pretrained_model_name_or_path, f"{cls.__name__}.from_pretrained", "pretrained_model_name_or_path"
        )
        if config is not None:
            files = CheckpointFiles(path, {key: kwargs[key] for key in _HUB_KEYS if key in kwargs})
            if "backbone_config" not in files.config and is_pylate(files):
                model = super(BiEncoderModel, cls).from_pretrained(path, *args, config=config, **kwargs)
                return cast(ColModel, model)
        return cast(ColModel, super().from_pretrained(path, *args, config=config, **kwargs))

    def _load_pretrained_backbone(self, model_name_or_path: str, **kwargs: Any) -> None:
        """Load the encoder and, from a colbert-ir checkpoint or a PyLate folder, the trained projection.

        With untied encoders (``tie_encoders=False``) the documents' projection starts as the same trained one.
        """
        super()._load_pretrained_backbone(model_name_or_path, **kwargs)
        files = CheckpointFiles(model_name_or_path, {key: kwargs[key] for key in _HUB_KEYS if key in kwargs})
        state = colbert_ir_projection(files)
        if state is None:
            state = pylate_projection(files)
        if state is not None:
            self._load_projection(state, model_name_or_path)
            if self.doc_projection is not None and self.projection is not None:
                self.doc_projection.load_state_dict(self.projection.state_dict())

    def _load_projection(self, state: dict[str, torch.Tensor], source: str) -> None:
        """Copy a checkpoint's projection into :attr:`projection`, refusing one of another shape or bias."""
        projection = self.projection if isinstance(self.projection, torch.nn.Linear) else None
        weight = state["weight"]
        expected = None if projection is None else tuple(projection.weight.shape)
        has_bias = projection is not None and projection.bias is not None
        if expected != tuple(weight.shape) or has_bias != ("bias" in state):
            found = f"a {tuple(weight.shape)} projection {'with' if 'bias' in state else 'without'} bias"
            raise ValueError(
                f"{type(self).__name__}: {source} has {found}, but the config asks for projection="
                f"{self.config.projection!r} with embedding_dim={self.config.embedding_dim}; load it without a "
                "config to use the checkpoint's settings"
            )
        with torch.no_grad():
            for name, tensor in state.items():
                getattr(projection, name).copy_(tensor)
