"""Recognising sentence-transformers ``SparseEncoder`` folders (SPLADE) and mapping them onto :class:`SpladeConfig`.

Two layouts, both from ``modules.json`` and the modules' own config files (nothing depends on the model's name):

- SPLADE: a masked-LM transformer (``MLMTransformer``, or sentence-transformers >= 5.4's ``Transformer`` with
  ``transformer_task: fill-mask``) followed by ``SpladePooling`` (``pooling_strategy`` max or sum,
  ``activation_function`` relu or log1p_relu).
- Inference-free SPLADE (OpenSearch's doc-only models): one ``Router`` whose ``query`` route is a
  ``SparseStaticEmbedding`` (a weight per vocabulary token) and whose ``document`` route is the SPLADE pair above.

``SpladePooling``'s ``chunk_size`` is not saved by sentence-transformers; Lightning IR chunks by
:attr:`SpladeConfig.logits_chunk_size`. A bare ``...ForMaskedLM`` checkpoint (older naver/splade uploads without
``modules.json``) has the same files as a plain masked-LM backbone such as ``bert-base-uncased``, so it is not
recognised: load it with ``config=SpladeConfig()``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...base.layouts import CheckpointFiles, CheckpointLayout
from .config import SpladeConfig

_SPARSIFICATION = {"relu": "relu_log", "log1p_relu": "relu_log_log"}
"""``SpladePooling.activation_function`` -> :attr:`SpladeConfig.sparsification` (SpladePooling adds the log1p)."""

_POOLING = ("max", "sum")
_SIMILARITIES = ("dot", "cosine")


@dataclass(frozen=True)
class SparseEncoderFolder:
    """Where the parts of a ``SparseEncoder`` folder are, and the config that reproduces it.

    Attributes:
        backbone_subfolder: Folder of the masked-LM transformer, relative to the model folder (``""``: the folder).
        query_subfolder: Folder of the ``SparseStaticEmbedding`` query module, or None when queries run through the
            transformer too.
        config_kwargs: Arguments of the :class:`SpladeConfig`.
    """

    backbone_subfolder: str
    query_subfolder: str | None
    config_kwargs: dict[str, Any]

    def config(self) -> SpladeConfig:
        """The :class:`SpladeConfig` that reproduces the folder."""
        return SpladeConfig(**self.config_kwargs)


def _join(*parts: str) -> str:
    return "/".join(part.strip("/") for part in parts if part and part.strip("/"))


def _json_dict(files: CheckpointFiles, name: str) -> dict[str, Any]:
    """The JSON object in file ``name`` (empty when the file is missing or holds something else)."""
    loaded = files.json(name)
    return loaded if isinstance(loaded, dict) else {}


def _type_name(module_type: Any) -> str:
    return str(module_type).rsplit(".", 1)[-1]


def _is_masked_lm(files: CheckpointFiles, folder: str, module_type: str) -> bool:
    """Whether the transformer module in ``folder`` outputs masked-LM logits."""
    if module_type == "MLMTransformer":
        return True
    if module_type != "Transformer":
        return False
    return _json_dict(files, _join(folder, "sentence_bert_config.json")).get("transformer_task") == "fill-mask"


def _splade_route(files: CheckpointFiles, route: list[tuple[str, str]]) -> tuple[str, str] | None:
    """``(transformer folder, pooling folder)`` when ``route`` is a masked-LM transformer then SpladePooling."""
    if len(route) != 2:
        return None
    (transformer, transformer_type), (pooling, pooling_type) = route
    if pooling_type != "SpladePooling" or not _is_masked_lm(files, transformer, transformer_type):
        return None
    return transformer, pooling


def _router_routes(files: CheckpointFiles, folder: str) -> dict[str, list[tuple[str, str]]] | None:
    """The routes of the Router in ``folder``: ``{route: [(module folder, module type), ...]}``."""
    config = _json_dict(files, _join(folder, "router_config.json")) or _json_dict(files, _join(folder, "config.json"))
    types, structure = config.get("types"), config.get("structure")
    if not isinstance(types, dict) or not isinstance(structure, dict):
        return None
    return {
        str(route): [(_join(folder, str(name)), _type_name(types.get(name))) for name in names]
        for route, names in structure.items()
        if isinstance(names, list)
    }


def _pooling_kwargs(files: CheckpointFiles, folder: str) -> dict[str, Any]:
    """Pooling and sparsification of a SpladePooling module's ``config.json``."""
    name = _join(folder, "config.json")
    config = _json_dict(files, name)
    strategy = config.get("pooling_strategy", "max")
    activation = config.get("activation_function", "relu")
    if strategy not in _POOLING or activation not in _SPARSIFICATION:
        raise ValueError(
            f"{files.name_or_path}: {name} has pooling_strategy={strategy!r}, activation_function={activation!r}; "
            f"supported are pooling_strategy {' or '.join(_POOLING)} and activation_function "
            f"{' or '.join(_SPARSIFICATION)}"
        )
    return {
        "query_pooling_strategy": strategy,
        "doc_pooling_strategy": strategy,
        "sparsification": _SPARSIFICATION[activation],
    }


def _max_length(files: CheckpointFiles, folder: str) -> int | None:
    """The transformer's maximum sequence length, as sentence-transformers derives it."""
    settings = _json_dict(files, _join(folder, "sentence_bert_config.json"))
    if isinstance(settings.get("max_seq_length"), int):
        return int(settings["max_seq_length"])
    tokenizer = _json_dict(files, _join(folder, "tokenizer_config.json"))
    config = _json_dict(files, _join(folder, "config.json"))
    limits = [
        int(value)
        for value in (tokenizer.get("model_max_length"), config.get("max_position_embeddings"))
        if isinstance(value, int | float) and 0 < value < 1_000_000
    ]
    return min(limits) if limits else None


def _model_kwargs(files: CheckpointFiles) -> dict[str, Any]:
    """Similarity, ``max_active_dims`` and a warning for prompts, from ``config_sentence_transformers.json``."""
    name = "config_sentence_transformers.json"
    config = _json_dict(files, name)
    if any((config.get("prompts") or {}).values()):
        warnings.warn(
            f"{files.name_or_path}: the prompts of {name} are not applied by lightning_ir; prefix them to the texts "
            "yourself",
            stacklevel=4,
        )
    similarity = config.get("similarity_fn_name") or "dot"  # SparseEncoder's default
    if similarity not in _SIMILARITIES:
        raise ValueError(
            f"{files.name_or_path}: {name} has similarity_fn_name={similarity!r}; supported are "
            f"{' or '.join(_SIMILARITIES)}"
        )
    return {"similarity_function": similarity, "max_active_dims": config.get("max_active_dims")}


def read_sparse_encoder(files: CheckpointFiles) -> SparseEncoderFolder | None:
    """The parts and config of a ``SparseEncoder`` folder of SPLADE modules, or None for other folders.

    Raises:
        ValueError: For a SPLADE folder with a pooling, activation or similarity Lightning IR does not reproduce
            (naming the file).
    """
    modules = sorted(files.modules, key=lambda entry: int(entry.get("idx", 0)))
    route = [(str(entry.get("path", "")), _type_name(entry.get("type", ""))) for entry in modules]
    query_subfolder = None
    if len(route) == 1 and route[0][1] in ("Router", "Asym"):  # Asym: the Router's old name
        routes = _router_routes(files, route[0][0])
        if routes is None or set(routes) != {"query", "document"}:
            return None
        query_route = routes["query"]
        if len(query_route) != 1 or query_route[0][1] != "SparseStaticEmbedding":
            return None
        query_subfolder = query_route[0][0]
        route = routes["document"]
    parts = _splade_route(files, route)
    if parts is None:
        return None
    backbone, pooling = parts
    kwargs = _pooling_kwargs(files, pooling) | _model_kwargs(files)
    if (max_length := _max_length(files, backbone)) is not None:
        kwargs.update(query_length=max_length, doc_length=max_length)
    if query_subfolder is not None:
        static = _json_dict(files, _join(query_subfolder, "config.json"))
        kwargs.update(static_query_weights=True, freeze_query_weights=bool(static.get("frozen", False)))
    return SparseEncoderFolder(backbone, query_subfolder, kwargs)


def _detect_splade(files: CheckpointFiles) -> SpladeConfig | None:
    folder = read_sparse_encoder(files)
    return None if folder is None or folder.query_subfolder is not None else folder.config()


def _detect_inference_free_splade(files: CheckpointFiles) -> SpladeConfig | None:
    folder = read_sparse_encoder(files)
    return None if folder is None or folder.query_subfolder is None else folder.config()


def local_subfolder(files: CheckpointFiles, subfolder: str) -> str:
    """A local folder holding ``subfolder`` of the checkpoint (downloaded into the Hugging Face cache for hub ids)."""
    if not subfolder:
        return files.name_or_path
    if Path(files.name_or_path).is_dir():
        return str(Path(files.name_or_path) / subfolder)
    from huggingface_hub import snapshot_download

    hub_kwargs = {key: value for key, value in files.hub_kwargs.items() if value is not None}
    root = snapshot_download(files.name_or_path, allow_patterns=[f"{subfolder}/*"], **hub_kwargs)
    return str(Path(root) / subfolder)


SPLADE_LAYOUT = CheckpointLayout(
    family="SPLADE (sentence-transformers SparseEncoder: naver/splade-v3, splade-cocondenser, ...)",
    kind="bi-encoder",
    recognised_by="`modules.json` of MLMTransformer (or Transformer with `transformer_task` fill-mask) and "
    "SpladePooling (max/sum, relu/log1p_relu). A bare `...ForMaskedLM` checkpoint without `modules.json` has the "
    "files of a plain masked-LM backbone (e.g. bert-base-uncased) and is not told apart: pass `config=SpladeConfig()`",
    reference="sentence-transformers `SparseEncoder.encode_query` / `encode_document` + `similarity`",
    detect=_detect_splade,
)

INFERENCE_FREE_SPLADE_LAYOUT = CheckpointLayout(
    family="Inference-free SPLADE (OpenSearch doc-only neural sparse models)",
    kind="bi-encoder",
    recognised_by="`modules.json` of one Router: `query` route SparseStaticEmbedding, `document` route MLMTransformer "
    "(or Transformer with `transformer_task` fill-mask) and SpladePooling",
    reference="sentence-transformers `SparseEncoder.encode_query` / `encode_document` + `similarity`",
    detect=_detect_inference_free_splade,
)

__all__ = [
    "INFERENCE_FREE_SPLADE_LAYOUT",
    "SPLADE_LAYOUT",
    "SparseEncoderFolder",
    "local_subfolder",
    "read_sparse_encoder",
]
