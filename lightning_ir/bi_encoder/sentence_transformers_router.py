"""Reading asymmetric sentence-transformers models: a ``Router`` with a query route and a document route.

``Router.for_query_document(query_modules, document_modules)`` (sentence-transformers >= 5) saves a folder whose
``modules.json`` starts with the Router; its ``router_config.json`` names each route's modules (``structure``) and
their classes (``types``), each module saved in a subfolder named by its id (``query_0_Transformer``, ...). Optional
modules after the Router (Normalize) apply to both routes. ``encode_query`` runs the query route,
``encode_document`` the document route.

A Router whose two routes are each Transformer, Pooling (cls/mean/max), optional Dense and optional Normalize, with
Transformers of one architecture and vocabulary, loads as a bi-encoder with untied encoders (``tie_encoders=False``):
the query route becomes the query encoder, the document route the documents' own encoder. Routes may differ in
pooling and maximum length; they must agree on Dense (both or neither, same size) and normalisation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base.layouts import CheckpointFiles, CheckpointLayout
from ..base.loading import read_json
from .config import BiEncoderConfig
from .sentence_transformers import (
    SentenceTransformersSpec,
    _max_seq_length,
    _pooling_strategy,
    _read_dense,
    _similarity,
)
from .untied import attach_doc_encoder, check_same_vocabulary

if TYPE_CHECKING:
    from .model import BiEncoderModel

ROUTES = {"query": "query", "document": "doc"}
"""The Router's route names and the bi-encoder side each becomes."""

_ROUTE_MODULES = ("Transformer", "Pooling", "Dense", "Normalize")
_OWNER = "sentence-transformers Router"


def _module_type(entry: Any) -> str:
    return str(entry.get("type", "") if isinstance(entry, dict) else entry).rsplit(".", 1)[-1]


def _modules(directory: Path) -> list[dict[str, Any]]:
    modules = read_json(directory / "modules.json", _OWNER)
    if not isinstance(modules, list):
        raise ValueError(f"{directory / 'modules.json'}: expected a list of modules, found {type(modules).__name__}")
    return sorted((m for m in modules if isinstance(m, dict)), key=lambda m: int(m.get("idx", 0)))


def is_router_dir(directory: Path) -> bool:
    """Whether the sentence-transformers folder ``directory`` starts with a Router (``Asym`` is its old name)."""
    modules = _modules(directory)
    return bool(modules) and _module_type(modules[0]) in ("Router", "Asym")


@dataclass
class RouteSpec:
    """One route of a Router, read from its modules' files.

    Attributes:
        transformer_dir: The folder of the route's Transformer (backbone and tokenizer files).
        settings: Its pooling, maximum length, Dense size and normalisation.
        dense_weights: The Dense module's weights, if it has one.
    """

    transformer_dir: Path
    settings: dict[str, Any] = field(default_factory=dict)
    dense_weights: Any = None


def _read_route(router_dir: Path, name: str, module_ids: list[str], types: dict[str, str]) -> RouteSpec:
    kinds = [_module_type(types.get(module_id, "")) for module_id in module_ids]
    if not kinds or kinds[0] != "Transformer" or "Pooling" not in kinds or not set(kinds) <= set(_ROUTE_MODULES):
        raise ValueError(
            f"{router_dir / 'router_config.json'}: route {name!r} has modules {kinds}; supported are Transformer, "
            "Pooling, optional Dense and optional Normalize"
        )
    route = RouteSpec(transformer_dir=router_dir / module_ids[0])
    settings: dict[str, Any] = {"normalize": False, "projection": None}
    for module_id, kind in zip(module_ids[1:], kinds[1:], strict=True):
        module_dir = router_dir / module_id
        if kind == "Pooling":
            settings["query_pooling_strategy"] = _pooling_strategy(module_dir / "config.json")
        elif kind == "Dense":
            spec = SentenceTransformersSpec(directory=router_dir, backbone_path=route.transformer_dir)
            _read_dense(module_dir, settings, spec)
            route.dense_weights = spec.dense_weights
        elif kind == "Normalize":
            settings["normalize"] = True
        else:
            raise ValueError(f"{router_dir / 'router_config.json'}: route {name!r} has more than one Transformer")
    settings["pooling"] = settings.pop("query_pooling_strategy")
    settings["length"] = _max_seq_length(route.transformer_dir)
    route.settings = settings
    return route


def read_router(directory: Path) -> tuple[dict[str, Any], dict[str, RouteSpec]]:
    """The bi-encoder config arguments of a Router folder and its two routes (``"query"``, ``"doc"``).

    Raises:
        ValueError: For a layout the bi-encoder cannot reproduce (naming the file and what is not supported).
    """
    modules = _modules(directory)
    router_dir = directory / str(modules[0].get("path", ""))
    config_file = router_dir / "router_config.json"
    router_config = read_json(config_file, _OWNER)
    structure, types = router_config.get("structure", {}), router_config.get("types", {})
    if set(structure) != set(ROUTES):
        raise ValueError(f"{config_file}: routes {sorted(structure)}; supported is exactly 'query' and 'document'")
    if (router_config.get("parameters") or {}).get("route_mappings"):
        raise ValueError(f"{config_file}: route_mappings are not supported (routes are chosen by task name)")
    routes = {ROUTES[name]: _read_route(router_dir, name, list(ids), types) for name, ids in structure.items()}
    after = [_module_type(module) for module in modules[1:]]
    if not set(after) <= {"Normalize"}:
        raise ValueError(f"{directory / 'modules.json'}: modules {after} after the Router are not supported")
    query, doc = routes["query"].settings, routes["doc"].settings
    for key in ("projection", "embedding_dim", "normalize"):
        if query.get(key) != doc.get(key):
            raise ValueError(
                f"{config_file}: the query and document routes differ in {key} ({query.get(key)!r} and "
                f"{doc.get(key)!r}); only pooling and maximum length may differ"
            )
    kwargs: dict[str, Any] = {
        "query_pooling_strategy": query["pooling"],
        "doc_pooling_strategy": doc["pooling"],
        "projection": query["projection"],
        "normalize": query["normalize"] or "Normalize" in after,
        "add_marker_tokens": False,
        "similarity_function": _similarity(directory),
        "tie_encoders": False,
    }
    if "embedding_dim" in query:
        kwargs["embedding_dim"] = query["embedding_dim"]
    for side, option in (("query", "query_length"), ("doc", "doc_length")):
        if routes[side].settings["length"] is not None:
            kwargs[option] = routes[side].settings["length"]
    return kwargs, routes


def load_router(
    model_class: type[BiEncoderModel], directory: Path, config: BiEncoderConfig | None, **kwargs: Any
) -> BiEncoderModel:
    """A bi-encoder with untied encoders from a Router folder (see the module docstring).

    Args:
        model_class: The bi-encoder class asked for.
        directory: The local sentence-transformers folder.
        config: Hyperparameters replacing the folder's (``tie_encoders`` must be False); None: the folder's.
        **kwargs: Passed to the backbone loaders.

    Raises:
        ValueError: If ``config`` ties the encoders, or the routes' backbones differ in architecture.
    """
    config_kwargs, routes = read_router(directory)
    if config is None:
        config = model_class.config_class(**config_kwargs)
    elif config.tie_encoders:
        raise ValueError(
            f"{model_class.__name__}.from_pretrained: {str(directory)!r} is a sentence-transformers Router with "
            "separate query and document encoders; its config needs tie_encoders=False"
        )
    hub_kwargs = {key: kwargs[key] for key in ("revision", "cache_dir", "local_files_only", "token") if key in kwargs}
    query_dir, doc_dir = (str(routes[side].transformer_dir) for side in ("query", "doc"))
    check_same_vocabulary(f"{model_class.__name__}.from_pretrained", query_dir, doc_dir, **hub_kwargs)
    side_config = copy.deepcopy(config)
    side_config.tie_encoders = True
    sides = {}
    for side, route in routes.items():
        model = model_class.from_pretrained(str(route.transformer_dir), config=copy.deepcopy(side_config), **kwargs)
        if route.dense_weights is not None and model.projection is not None:
            model.projection.load_state_dict(route.dense_weights)
        sides[side] = model
    model = attach_doc_encoder(sides["query"], sides["doc"])
    model.config.name_or_path = str(directory)
    return model


def tokenizer_dir(directory: Path) -> Path | None:
    """Where the tokenizer of a sentence-transformers folder is, when it is not at the top (else None).

    That is the query route's Transformer for a Router, or the Transformer module's folder when it is saved in a
    subfolder (older sentence-transformers saves: ``0_Transformer``).
    """
    if (directory / "tokenizer_config.json").exists() or not (directory / "modules.json").exists():
        return None
    if is_router_dir(directory):
        try:
            return read_router(directory)[1]["query"].transformer_dir
        except ValueError:  # not a dense Router (SPLADE's static query weights, ...): the base class finds it
            return None
    transformers = [m for m in _modules(directory) if _module_type(m) == "Transformer" and m.get("path")]
    return directory / str(transformers[0]["path"]) if transformers else None


def _detect_router(files: CheckpointFiles) -> BiEncoderConfig | None:
    """A bi-encoder config with untied encoders for a Router folder (see the module docstring)."""
    if not files.module_types or files.module_types[0] not in ("Router", "Asym"):
        return None
    folder = files.modules_folder()
    return None if folder is None else BiEncoderConfig(**read_router(folder)[0])


ROUTER_LAYOUT = CheckpointLayout(
    family="Sentence Transformers asymmetric bi-encoder (`Router` with query and document routes)",
    kind="bi-encoder",
    recognised_by="`modules.json` starting with a Router whose `router_config.json` has a `query` and a `document` "
    "route, each Transformer, Pooling (cls/mean/max), optional Dense and Normalize, one architecture and vocabulary",
    reference="sentence-transformers `SentenceTransformer.encode_query` / `encode_document` + `similarity`",
    detect=_detect_router,
)
