"""Bi-encoders whose queries and documents have encoders of their own (untied), and DPR checkpoints.

A bi-encoder with ``tie_encoders=False`` holds a second backbone and projection for documents
(``doc_backbone``, ``doc_projection``). It is trained with the usual losses and saved and loaded like any Lightning IR
model. This module builds one from two single-encoder checkpoints (:func:`load_encoder_pair`, exposed as
``BiEncoderModel.from_pretrained_pair``): each checkpoint becomes one side, and both must share the architecture and
the vocabulary (the model has one tokenizer).

DPR (Karpukhin et al., EMNLP 2020) publishes its encoders as two checkpoints, a ``DPRQuestionEncoder`` and a
``DPRContextEncoder``: each a BERT whose [CLS] vector, passed through ``encode_proj`` when ``projection_dim`` is
positive, is the text's embedding; question and passage embeddings are compared by the dot product. A DPR checkpoint
is read through transformers' own DPR classes and becomes a BERT backbone with ``"first"`` pooling (and a ``"linear"``
projection holding ``encode_proj``), so it scores exactly as ``DPRQuestionEncoder(...).pooler_output @
DPRContextEncoder(...).pooler_output``. One DPR folder alone is half a model: loading it by path is refused with a
message pointing to ``from_pretrained_pair``.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from transformers import AutoTokenizer, BertConfig, PretrainedConfig, PreTrainedModel

from ..base.layouts import CheckpointFiles, CheckpointLayout
from ..base.loading import check_model_path
from ..console import quiet_transformers_loading, warn_missing_weights
from .config import BiEncoderConfig

if TYPE_CHECKING:
    from .model import BiEncoderModel

DPR_ENCODERS = {"DPRQuestionEncoder": "question_encoder", "DPRContextEncoder": "ctx_encoder"}
"""The ``architectures`` of DPR encoder checkpoints, with the attribute holding each one's encoder."""

_CONFIG_METADATA = frozenset(
    {"_name_or_path", "architectures", "transformers_version", "dtype", "torch_dtype", "id2label", "label2id"}
)
"""Backbone config entries that do not change what the backbone computes (ignored when comparing two sides)."""

_HUB_KEYS = ("revision", "cache_dir", "local_files_only", "token")


def load_encoder_pair(
    model_class: type[BiEncoderModel],
    query_model_name_or_path: str | Path,
    doc_model_name_or_path: str | Path,
    config: BiEncoderConfig | None = None,
    **kwargs: Any,
) -> BiEncoderModel:
    """A bi-encoder with untied encoders: queries encoded by one checkpoint, documents by another.

    Args:
        model_class: The bi-encoder class asked for (the config's registered subclass is built).
        query_model_name_or_path: The query encoder: a DPR encoder checkpoint, or anything ``model_class`` loads (a
            plain backbone, a sentence-transformers folder, a saved single-encoder Lightning IR model, ...).
        doc_model_name_or_path: The document encoder, of the same kind and architecture.
        config: Hyperparameters for both sides (its ``tie_encoders`` is ignored); None: the query checkpoint's own,
            for both (DPR: ``"first"`` pooling, dot product, ``encode_proj`` as the projection).
        **kwargs: Passed to the loaders (``revision``, ``dtype``, ...).

    Returns:
        The model, in evaluation mode; its tokenizer is the query checkpoint's (``config.name_or_path``).

    Raises:
        ValueError: If the two sides differ in architecture, hyperparameters or vocabulary (naming what differs).
    """
    side_config = None if config is None else _tied_copy(config)
    query = _load_side(model_class, query_model_name_or_path, side_config, **kwargs)
    doc = _load_side(model_class, doc_model_name_or_path, side_config or _tied_copy(query.config), **kwargs)
    hub_kwargs = {key: kwargs[key] for key in _HUB_KEYS if key in kwargs}
    owner = f"{model_class.__name__}.from_pretrained_pair"
    check_same_vocabulary(owner, str(query.config.name_or_path), str(doc.config.name_or_path), **hub_kwargs)
    return attach_doc_encoder(query, doc)


def attach_doc_encoder(query: BiEncoderModel, doc: BiEncoderModel) -> BiEncoderModel:
    """``query`` with ``doc``'s backbone and projection as its documents' own encoder (``tie_encoders=False``).

    Raises:
        ValueError: If the two models differ in class, hyperparameters or backbone architecture.
    """
    owner = f"{type(query).__name__}.from_pretrained_pair"
    if type(query) is not type(doc):
        raise ValueError(
            f"{owner}: the query side is a {type(query).__name__}, the document side a {type(doc).__name__}"
        )
    _check_same_architecture(owner, query.backbone_config, doc.backbone_config)
    settings = {key: value for key, value in query.config.to_added_args_dict().items() if key != "tie_encoders"}
    doc_settings = {key: value for key, value in doc.config.to_added_args_dict().items() if key != "tie_encoders"}
    differing = sorted(
        key for key in settings.keys() | doc_settings.keys() if settings.get(key) != doc_settings.get(key)
    )
    if differing:
        raise ValueError(f"{owner}: the two sides' configs differ in {differing}; pass one config for both")
    query.config.tie_encoders = False
    query.doc_backbone = doc.backbone
    query.doc_projection = doc.projection
    return query.eval()


def _tied_copy(config: BiEncoderConfig) -> BiEncoderConfig:
    tied = copy.deepcopy(config)
    tied.tie_encoders = True
    return tied


def _load_side(
    model_class: type[BiEncoderModel], model_name_or_path: str | Path, config: BiEncoderConfig | None, **kwargs: Any
) -> BiEncoderModel:
    owner = f"{model_class.__name__}.from_pretrained_pair"
    path = check_model_path(model_name_or_path, owner, "model_name_or_path")
    hub_kwargs = {key: kwargs[key] for key in _HUB_KEYS if key in kwargs}
    architectures = [name for name in CheckpointFiles(path, hub_kwargs).architectures if name in DPR_ENCODERS]
    if architectures:
        return _load_dpr(model_class, path, architectures[0], config, **kwargs)
    model = model_class.from_pretrained(path, config=config, **kwargs)
    if not model.config.tie_encoders:
        raise ValueError(f"{owner}: {path!r} already has untied encoders; pass two single-encoder checkpoints")
    return model


def dpr_backbone_config(dpr_config: PretrainedConfig) -> BertConfig:
    """The BERT config of a DPR encoder (a ``DPRConfig`` is a ``BertConfig`` plus ``projection_dim``)."""
    bert_fields = {field.name for field in dataclasses.fields(BertConfig)}
    values = {
        field.name: getattr(dpr_config, field.name)
        for field in dataclasses.fields(cast(Any, type(dpr_config)))
        if field.name in bert_fields and field.name not in _CONFIG_METADATA
    }
    return BertConfig(**values)


def dpr_config(dpr_config: PretrainedConfig) -> BiEncoderConfig:
    """The bi-encoder settings of a DPR encoder: [CLS] pooling, ``encode_proj`` if any, dot product."""
    projection_dim = int(getattr(dpr_config, "projection_dim", 0) or 0)
    return BiEncoderConfig(
        similarity_function="dot",
        query_pooling_strategy="first",
        doc_pooling_strategy="first",
        normalize=False,
        projection="linear" if projection_dim > 0 else None,
        embedding_dim=projection_dim if projection_dim > 0 else None,
    )


def _load_dpr(
    model_class: type[BiEncoderModel],
    path: str,
    architecture: str,
    config: BiEncoderConfig | None,
    **kwargs: Any,
) -> BiEncoderModel:
    """One side read from a DPR encoder checkpoint through transformers' DPR class."""
    from transformers import DPRContextEncoder, DPRQuestionEncoder

    dpr_class = DPRQuestionEncoder if architecture == "DPRQuestionEncoder" else DPRContextEncoder
    with quiet_transformers_loading():
        loaded_with_info = dpr_class.from_pretrained(path, output_loading_info=True, **kwargs)
    loaded, info = cast(tuple[PreTrainedModel, dict[str, Any]], loaded_with_info)
    warn_missing_weights(info, path, "DPR encoder")
    encoder = getattr(loaded, DPR_ENCODERS[architecture])
    projection = getattr(encoder, "encode_proj", None)
    config = dpr_config(loaded.config) if config is None else config
    if projection is not None and config.projection != "linear":
        raise ValueError(
            f"{model_class.__name__}.from_pretrained_pair: {path!r} projects its [CLS] vector to "
            f"{projection.out_features} dimensions (projection_dim); the config must keep it: projection='linear', "
            f"embedding_dim={projection.out_features}"
        )
    config.backbone_config = dpr_backbone_config(loaded.config)
    model = model_class._model_class_for(config)(config)
    model.backbone.load_state_dict(encoder.bert_model.state_dict())
    if projection is not None and model.projection is not None:
        model.projection.load_state_dict(projection.state_dict())
    model.config.name_or_path = path
    return model.eval()


def _check_same_architecture(owner: str, query: PretrainedConfig, doc: PretrainedConfig) -> None:
    query_values = {key: value for key, value in query.to_dict().items() if key not in _CONFIG_METADATA}
    doc_values = {key: value for key, value in doc.to_dict().items() if key not in _CONFIG_METADATA}
    differing = sorted(
        key for key in query_values.keys() | doc_values.keys() if query_values.get(key) != doc_values.get(key)
    )
    if differing:
        raise ValueError(
            f"{owner}: the query and document backbones differ in {differing}; untied encoders share one architecture"
        )


def check_same_vocabulary(owner: str, query_path: str, doc_path: str, **hub_kwargs: Any) -> None:
    """Refuse two tokenizers with different vocabularies (a bi-encoder has one tokenizer for both encoders)."""
    query_vocab = AutoTokenizer.from_pretrained(query_path, **hub_kwargs).get_vocab()
    doc_vocab = AutoTokenizer.from_pretrained(doc_path, **hub_kwargs).get_vocab()
    if query_vocab != doc_vocab:
        raise ValueError(
            f"{owner}: the tokenizers of {query_path!r} and {doc_path!r} have different "
            "vocabularies; the model has one tokenizer, so both encoders must share it"
        )


def _detect_dpr(files: CheckpointFiles) -> BiEncoderConfig | None:
    """None unless the checkpoint is a DPR encoder, which is refused: it is one of a pair."""
    architectures = [name for name in files.architectures if name in DPR_ENCODERS]
    if not architectures:
        return None
    raise ValueError(
        f"{files.name_or_path!r} is a DPR {architectures[0]}, one of DPR's two encoders; load the question and context "
        "encoders together with BiEncoderModel.from_pretrained_pair(question_encoder, context_encoder), and save the "
        "pair with BiEncoderModule(model=...).save_pretrained(path) to use it by path"
    )


DPR_LAYOUT = CheckpointLayout(
    family="DPR dual encoder (`facebook/dpr-*`)",
    kind="bi-encoder",
    recognised_by="`config.json` architectures `DPRQuestionEncoder` + `DPRContextEncoder`, two checkpoints loaded "
    "together with `BiEncoderModel.from_pretrained_pair` (one alone is refused)",
    reference="transformers `DPRQuestionEncoder` / `DPRContextEncoder` `pooler_output`, dot product",
    detect=_detect_dpr,
)
