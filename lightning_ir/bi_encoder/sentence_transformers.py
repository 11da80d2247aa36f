"""Reading sentence-transformers model directories into bi-encoder settings.

A sentence-transformers model is a backbone plus a list of modules (``modules.json``): pooling, optional dense
layers and normalisation. This reader maps those modules, from their own config files, onto a
:class:`~lightning_ir.bi_encoder.config.BiEncoderConfig`; nothing depends on the model's name.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from ..base.layouts import CheckpointFiles, CheckpointLayout
from ..base.loading import WEIGHT_FILES, naming_damaged_files
from .config import BiEncoderConfig

_POOLING_MODES = {
    "pooling_mode_cls_token": "first",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_max_tokens": "max",
}
_UNSUPPORTED_POOLING = (
    "pooling_mode_mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens",
    "pooling_mode_lasttoken",
)


@dataclass
class SentenceTransformersSpec:
    """What a sentence-transformers directory says about the model.

    Attributes:
        directory: The model's local directory.
        backbone_path: Directory of the Transformer module (the backbone's files).
        config_kwargs: Arguments for a ``BiEncoderConfig``.
        dense_weights: Weights of the Dense module (``weight`` ``(out, in)`` and maybe ``bias``), if any.
    """

    directory: Path
    backbone_path: Path
    config_kwargs: dict[str, Any] = field(default_factory=dict)
    dense_weights: dict[str, torch.Tensor] | None = None


def find_sentence_transformers_dir(model_name_or_path: str, **hub_kwargs: Any) -> Path | None:
    """The local directory of a sentence-transformers model (it has ``modules.json``, and its modules' files), or None.

    For a hub id the module folders are fetched into the Hugging Face cache (see ``CheckpointFiles.modules_folder``).
    """
    return CheckpointFiles(model_name_or_path, hub_kwargs).modules_folder()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as error:
        raise ValueError(f"sentence-transformers model: missing {path}") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"sentence-transformers model: {path} is not valid JSON ({error})") from error


def read_sentence_transformers(directory: Path) -> SentenceTransformersSpec:
    """Map a sentence-transformers directory's modules onto bi-encoder settings.

    Raises:
        ValueError: For a module or option the bi-encoder cannot reproduce exactly (named in the message).
    """
    spec = SentenceTransformersSpec(directory=directory, backbone_path=directory)
    kwargs: dict[str, Any] = {"projection": None, "normalize": False, "add_marker_tokens": False}
    modules = _read_json(directory / "modules.json")
    if not isinstance(modules, list):
        raise ValueError(f"{directory / 'modules.json'}: expected a list of modules, found {type(modules).__name__}")
    for module in sorted(modules, key=lambda m: int(m.get("idx", 0))):
        kind = str(module["type"]).rsplit(".", 1)[-1]
        module_dir = directory / module.get("path", "")
        if kind == "Transformer":
            spec.backbone_path = module_dir
            if (max_length := _max_seq_length(module_dir)) is not None:
                kwargs.update(query_length=max_length, doc_length=max_length)
        elif kind == "Pooling":
            pooling = _pooling_strategy(module_dir / "config.json")
            kwargs.update(query_pooling_strategy=pooling, doc_pooling_strategy=pooling)
        elif kind == "Normalize":
            kwargs["normalize"] = True
        elif kind == "Dense":
            _read_dense(module_dir, kwargs, spec)
        else:
            raise ValueError(f"{directory / 'modules.json'}: module type {module['type']!r} is not supported")
    kwargs["similarity_function"] = _similarity(directory)
    spec.config_kwargs = kwargs
    return spec


_POOLING_NAMES = {"cls": "first", "mean": "mean", "max": "max"}


def _max_seq_length(module_dir: Path) -> int | None:
    """The maximum sequence length a sentence-transformers model was saved with.

    ``max_seq_length`` of sentence_bert_config.json, else (sentence-transformers >= 6) the tokenizer's
    ``model_max_length``.
    """
    for file_name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
    ):
        path = module_dir / file_name
        if path.exists() and (value := _read_json(path).get(key)) and int(value) < 1_000_000:
            return int(value)
    return None


def _pooling_strategy(config_path: Path) -> str:
    config = _read_json(config_path)
    if "pooling_mode" in config:  # sentence-transformers >= 5 writes one string
        mode = config["pooling_mode"]
        if mode not in _POOLING_NAMES:
            raise ValueError(
                f"{config_path}: pooling_mode {mode!r} is not supported; supported are {', '.join(_POOLING_NAMES)}"
            )
        return _POOLING_NAMES[mode]
    for option in _UNSUPPORTED_POOLING:
        if config.get(option):
            raise ValueError(
                f"{config_path}: {option} is not supported; supported pooling modes are {', '.join(_POOLING_MODES)}"
            )
    modes = [strategy for option, strategy in _POOLING_MODES.items() if config.get(option)]
    if len(modes) != 1:
        raise ValueError(f"{config_path}: exactly one pooling mode must be set, found {len(modes)}")
    return modes[0]


def _read_dense(module_dir: Path, kwargs: dict[str, Any], spec: SentenceTransformersSpec) -> None:
    config_path = module_dir / "config.json"
    config = _read_json(config_path)
    activation = str(config.get("activation_function", "torch.nn.modules.linear.Identity"))
    if not activation.endswith("Identity"):
        raise ValueError(f"{config_path}: activation_function {activation!r} is not supported (only Identity)")
    if spec.dense_weights is not None:
        raise ValueError(f"{config_path}: more than one Dense module is not supported")
    pooling = kwargs.get("query_pooling_strategy")
    if pooling not in ("first", "mean"):
        # The bi-encoder projects every token before pooling; that equals a Dense layer after pooling only for
        # 'first' and 'mean' pooling (a linear map commutes with averaging).
        raise ValueError(
            f"{config_path}: a Dense module after {pooling!r} pooling is not supported; only 'first' "
            "and 'mean' pooling can be combined with Dense"
        )
    bias = bool(config.get("bias", True))
    kwargs.update(projection="linear" if bias else "linear_no_bias", embedding_dim=int(config["out_features"]))
    weights_file = module_dir / "model.safetensors"
    with naming_damaged_files(module_dir, "sentence-transformers model", WEIGHT_FILES):
        if weights_file.exists():
            state = load_file(str(weights_file))
        else:
            state = torch.load(module_dir / "pytorch_model.bin", map_location="cpu", weights_only=True)
    spec.dense_weights = {key.removeprefix("linear."): value for key, value in state.items()}


def _similarity(directory: Path) -> str:
    config_path = directory / "config_sentence_transformers.json"
    config = _read_json(config_path) if config_path.exists() else {}
    if any(config.get("prompts", {}).values()):
        warnings.warn(
            f"{config_path}: prompts are not applied by lightning_ir; prefix them to the texts yourself", stacklevel=3
        )
    name = config.get("similarity_fn_name") or "cosine"
    if name not in ("cosine", "dot"):
        raise ValueError(f"{config_path}: similarity_fn_name {name!r} is not supported (cosine or dot)")
    return str(name)


SENTENCE_TRANSFORMERS_MODULES = frozenset({"Transformer", "Pooling", "Dense", "Normalize"})
"""The sentence-transformers modules a bi-encoder reproduces."""


def _detect_sentence_transformers(files: CheckpointFiles) -> BiEncoderConfig | None:
    """A bi-encoder config for a sentence-transformers folder made only of :data:`SENTENCE_TRANSFORMERS_MODULES`."""
    types = files.module_types
    if "Transformer" not in types or not set(types) <= SENTENCE_TRANSFORMERS_MODULES:
        return None
    folder = files.modules_folder()
    return None if folder is None else BiEncoderConfig(**read_sentence_transformers(folder).config_kwargs)


SENTENCE_TRANSFORMERS_LAYOUT = CheckpointLayout(
    family="Sentence Transformers bi-encoder (SBERT, all-MiniLM, BGE, E5, ...)",
    kind="bi-encoder",
    recognised_by="`modules.json` of Transformer, Pooling (cls/mean/max), optional Dense and Normalize",
    reference="sentence-transformers `SentenceTransformer.encode` + `similarity`",
    detect=_detect_sentence_transformers,
)
