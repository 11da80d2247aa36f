"""Reading the files of published XTR checkpoints (see :mod:`lightning_ir.models.xtr` for the layouts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import MT5EncoderModel, PreTrainedModel, T5EncoderModel, UMT5EncoderModel

from ..base.layouts import CheckpointFiles
from ..base.loading import naming_damaged_files

T5_ENCODERS: dict[str, type[PreTrainedModel]] = {
    "t5": T5EncoderModel,
    "mt5": MT5EncoderModel,
    "umt5": UMT5EncoderModel,
}
"""The encoder-only classes of the T5 family, by model type (XTR runs a T5's encoder alone)."""


@dataclass
class XTRCheckpoint:
    """What the files of a published XTR checkpoint say.

    Attributes:
        backbone_path: Where the T5 encoder's config and weights are (the folder or hub id, or a local subfolder).
        config_kwargs: Arguments of the :class:`~lightning_ir.models.xtr.XTRConfig` that reproduces it.
        dense_weights: The Dense layer's weights (``weight`` ``(out, in)``, maybe ``bias``).
    """

    backbone_path: str
    config_kwargs: dict[str, Any] = field(default_factory=dict)
    dense_weights: dict[str, torch.Tensor] = field(default_factory=dict)


def _is_t5(config: Any) -> bool:
    return isinstance(config, dict) and config.get("model_type") in T5_ENCODERS


def read_xtr_checkpoint(files: CheckpointFiles) -> XTRCheckpoint | None:
    """The XTR checkpoint in ``files``, or None when they are not one of XTR's layouts (see the module docstring).

    Raises:
        ValueError: For a Dense layer XTR's layout does not have (a non-Identity activation), naming its file.
    """
    if "backbone_config" in files.config:
        return None
    if files.modules:
        return _read_sentence_transformers_xtr(files)
    if not _is_t5(files.config):
        return None
    dense_dir = next((name for name in ("2_Dense", "1_Dense") if files.file(f"{name}/config.json") is not None), None)
    if dense_dir is None:
        return None
    return _with_dense(files, XTRCheckpoint(files.name_or_path, {"normalize": True}), dense_dir)


def _read_sentence_transformers_xtr(files: CheckpointFiles) -> XTRCheckpoint | None:
    """A sentence-transformers folder of Transformer (T5), Dense and Normalize on token embeddings, no Pooling."""
    modules = sorted(files.modules, key=lambda module: int(module.get("idx", 0)))
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    native = all(str(module.get("type", "")).startswith("sentence_transformers.") for module in modules)
    if not native or kinds[:1] != ["Transformer"] or kinds.count("Dense") != 1:
        return None
    if not set(kinds) <= {"Transformer", "Dense", "Normalize"}:
        return None
    settings = files.json("config_sentence_transformers.json") or {}
    if settings.get("model_type", "SentenceTransformer") != "SentenceTransformer":
        return None
    prefix = "".join(f"{part}/" for part in [str(modules[0].get("path", ""))] if part)
    if not _is_t5(files.json(f"{prefix}config.json")):
        return None
    backbone_path = files.name_or_path
    if prefix:
        if not Path(files.name_or_path).is_dir():
            return None
        backbone_path = str(Path(files.name_or_path) / prefix)
    dense_dir = str(modules[kinds.index("Dense")].get("path", ""))
    if (files.json(f"{dense_dir}/config.json") or {}).get("module_input_name") != "token_embeddings":
        return None
    normalize = any(
        (files.json(f"{module.get('path', '')}/config.json") or {}).get("module_input_name") == "token_embeddings"
        for module, kind in zip(modules, kinds, strict=True)
        if kind == "Normalize"
    )
    kwargs: dict[str, Any] = {"normalize": normalize}
    length = (files.json(f"{prefix}sentence_bert_config.json") or {}).get("max_seq_length")
    if isinstance(length, int) and length > 0:
        kwargs.update(query_length=length, doc_length=length)
    return _with_dense(files, XTRCheckpoint(backbone_path, kwargs), dense_dir)


def _with_dense(files: CheckpointFiles, checkpoint: XTRCheckpoint, dense_dir: str) -> XTRCheckpoint:
    """``checkpoint`` with the Dense layer of ``dense_dir`` (sentence-transformers' format) as its projection."""
    config_path = files.file(f"{dense_dir}/config.json")
    dense = files.json(f"{dense_dir}/config.json") or {}
    activation = str(dense.get("activation_function", "torch.nn.modules.linear.Identity"))
    if not activation.endswith("Identity"):
        raise ValueError(f"{config_path}: activation_function {activation!r} is not supported (only Identity)")
    bias = bool(dense.get("bias", True))
    checkpoint.config_kwargs.update(
        projection="linear" if bias else "linear_no_bias",
        embedding_dim=int(dense["out_features"]),
        similarity_function="dot",
    )
    weights = files.file(f"{dense_dir}/model.safetensors") or files.file(f"{dense_dir}/pytorch_model.bin")
    if weights is None:
        raise ValueError(f"{config_path}: the Dense layer has no model.safetensors or pytorch_model.bin beside it")
    with naming_damaged_files(weights.parent, "XTR checkpoint", ("model.safetensors", "pytorch_model.bin")):
        if weights.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(weights))
        else:
            state = torch.load(weights, map_location="cpu", weights_only=True)
    checkpoint.dense_weights = {key.removeprefix("linear."): value for key, value in state.items()}
    return checkpoint
