"""ColBERT models as PyLate (lightonai/pylate) saves them: a sentence-transformers folder with a PyLate ``Dense``.

``pylate.models.ColBERT.save`` writes the encoder at the folder's root (a sentence-transformers ``Transformer``
module), its projection as the ``pylate.models.Dense.Dense`` module in ``1_Dense`` (``linear.weight``, and
``linear.bias`` when it has one), the tokenizer with the ``[Q] `` / ``[D] `` prefix tokens added to the vocabulary
(and the encoder's embeddings grown to match), and PyLate's settings in ``config_sentence_transformers.json``.
PyLate encodes and scores as follows, which :func:`pylate_config` reproduces:

- A query is tokenised to ``query_length - 1`` tokens and the ``query_prefix`` token inserted after the first; with
  ``do_query_expansion`` it is padded to that length with [MASK] tokens, which every other token attends to only
  with ``attend_to_expansion_tokens``, and all of its vectors score; without expansion only its real tokens score.
- A document is tokenised to ``document_length - 1`` tokens with the ``document_prefix`` token inserted after the
  first; the tokens of ``skiplist_words`` (punctuation by default) and padding do not score.
- Every token's last hidden state goes through the Dense layer and is L2-normalised; the score sums, over the
  query's vectors, the maximum dot product with the document's vectors (MaxSim).

PyLate's defaults apply to settings the folder lacks (prefixes ``[Q] ``/``[D] ``, lengths 32/180, expansion on,
no attention to expansion tokens, punctuation skipped). Like PyLate, modules other than the Transformer and Dense
ones are not used. Refused: more than one Dense layer, a Dense activation other than Identity or with a residual,
only one of the two prefixes empty, lower-casing in ``sentence_bert_config.json`` with a tokenizer that keeps the
case, and a similarity other than MaxSim.
"""

from __future__ import annotations

import string
import warnings
from typing import Any

import torch

from ...base.layouts import CheckpointFiles, CheckpointLayout
from .config import ColConfig
from .weights import read_tensor

PYLATE_MODULE_PREFIX = "pylate."
"""How the ``type`` of a PyLate module in ``modules.json`` starts (``pylate.models.Dense.Dense``)."""

SETTINGS_FILE = "config_sentence_transformers.json"

_PYLATE_SETTINGS = ("query_prefix", "document_prefix", "do_query_expansion", "attend_to_expansion_tokens")

_USED_MODULES = ("Transformer", "Dense")


def _settings(files: CheckpointFiles) -> dict[str, Any]:
    settings = files.json(SETTINGS_FILE)
    return settings if isinstance(settings, dict) else {}


def is_pylate(files: CheckpointFiles) -> bool:
    """Whether the folder was saved by PyLate: a ``pylate.`` module in ``modules.json``, or PyLate's settings."""
    if not files.modules:
        return False
    if any(str(module.get("type", "")).startswith(PYLATE_MODULE_PREFIX) for module in files.modules):
        return True
    settings = _settings(files)
    return settings.get("model_type") == "ColBERT" or any(key in settings for key in _PYLATE_SETTINGS)


def _used_modules(files: CheckpointFiles) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Transformer module and the one Dense module of a PyLate folder (what PyLate keeps of ``modules.json``).

    Raises:
        ValueError: If they are not one Transformer at the root followed by one Dense (naming ``modules.json``).
    """
    modules = sorted(files.modules, key=lambda module: int(module.get("idx", 0)))
    used = [module for module in modules if str(module.get("type", "")).rsplit(".", 1)[-1] in _USED_MODULES]
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in used]
    where = f"{files.name_or_path}/modules.json"
    if kinds != ["Transformer", "Dense"]:
        raise ValueError(
            f"{where}: PyLate modules {kinds} are not supported; Lightning IR reproduces a Transformer followed by "
            "exactly one Dense layer"
        )
    if str(used[0].get("path", "")).strip("/"):
        raise ValueError(f"{where}: the Transformer module must be at the folder's root, found {used[0]['path']!r}")
    return used[0], used[1]


def _dense_folder(files: CheckpointFiles) -> str:
    path = str(_used_modules(files)[1].get("path", "")).strip("/")
    return f"{path}/" if path else ""


def _dense_settings(files: CheckpointFiles) -> tuple[int, bool]:
    """``out_features`` and ``bias`` of the Dense layer; refuses an activation or a residual connection."""
    folder = _dense_folder(files)
    where = f"{files.name_or_path}/{folder}config.json"
    config = files.json(folder + "config.json")
    if not isinstance(config, dict) or "out_features" not in config:
        raise ValueError(f"{where}: missing, or without out_features")
    activation = str(config.get("activation_function", "torch.nn.modules.linear.Identity"))
    if not activation.endswith("Identity"):
        raise ValueError(f"{where}: activation_function {activation!r} is not supported (only Identity)")
    if config.get("use_residual"):
        raise ValueError(f"{where}: use_residual is not supported")
    return int(config["out_features"]), bool(config.get("bias", True))


def pylate_projection(files: CheckpointFiles) -> dict[str, torch.Tensor] | None:
    """The Dense layer's state dict (``weight``, maybe ``bias``) of a PyLate folder, or None for other folders."""
    if not is_pylate(files):
        return None
    folder = _dense_folder(files)
    weight = read_tensor(files, "linear.weight", folder)
    if weight is None:
        raise ValueError(f"{files.name_or_path}/{folder}: the Dense module has no weight file with linear.weight")
    state = {"weight": weight}
    bias = read_tensor(files, "linear.bias", folder)
    if bias is not None:
        state["bias"] = bias
    return state


def _check_settings(files: CheckpointFiles, settings: dict[str, Any]) -> None:
    where = f"{files.name_or_path}/{SETTINGS_FILE}"
    similarity = settings.get("similarity_fn_name")
    if similarity not in (None, "MaxSim"):
        raise ValueError(f"{where}: similarity_fn_name {similarity!r} is not supported (MaxSim)")
    transformer = files.json("sentence_bert_config.json")
    tokenizer = files.json("tokenizer_config.json")
    tokenizer_lowers = isinstance(tokenizer, dict) and bool(tokenizer.get("do_lower_case"))
    if isinstance(transformer, dict) and transformer.get("do_lower_case") and not tokenizer_lowers:
        raise ValueError(
            f"{files.name_or_path}/sentence_bert_config.json: do_lower_case with a tokenizer that keeps the case is "
            "not supported"
        )
    prompts = settings.get("prompts") or {}
    default_prompt = settings.get("default_prompt_name")
    if default_prompt and isinstance(prompts, dict) and prompts.get(default_prompt):
        warnings.warn(
            f"{where}: the default prompt {default_prompt!r} is not applied by lightning_ir; prefix it to the texts "
            "yourself",
            stacklevel=4,
        )


def _prefixes(files: CheckpointFiles, settings: dict[str, Any]) -> tuple[str, str, bool]:
    """The query and document marker tokens, and whether they are inserted (both prefixes empty: not)."""
    query_prefix = settings.get("query_prefix")
    doc_prefix = settings.get("document_prefix")
    query_prefix = "[Q] " if query_prefix is None else str(query_prefix)
    doc_prefix = "[D] " if doc_prefix is None else str(doc_prefix)
    if not query_prefix and not doc_prefix:
        return "[QUE]", "[DOC]", False
    if not query_prefix or not doc_prefix:
        raise ValueError(
            f"{files.name_or_path}/{SETTINGS_FILE}: a prefix for only one of queries and documents is not supported "
            f"(query_prefix {query_prefix!r}, document_prefix {doc_prefix!r})"
        )
    return query_prefix, doc_prefix, True


def pylate_config(files: CheckpointFiles) -> ColConfig | None:
    """The :class:`ColConfig` that encodes and scores as PyLate does with this folder, or None for other folders.

    Raises:
        ValueError: For modules or settings Lightning IR does not reproduce (naming the file).
    """
    if not is_pylate(files):
        return None
    settings = _settings(files)
    _check_settings(files, settings)
    embedding_dim, bias = _dense_settings(files)
    query_token, doc_token, add_markers = _prefixes(files, settings)
    expansion = settings.get("do_query_expansion")
    expansion = True if expansion is None else bool(expansion)
    skiplist = settings.get("skiplist_words")
    skiplist = list(string.punctuation) if skiplist is None else [str(word) for word in skiplist]
    return ColConfig(
        query_length=int(settings.get("query_length") or 32),
        doc_length=int(settings.get("document_length") or 180),
        query_token=query_token,
        doc_token=doc_token,
        add_marker_tokens=add_markers,
        query_expansion=expansion,
        attend_to_query_expanded_tokens=expansion and bool(settings.get("attend_to_expansion_tokens")),
        doc_mask_scoring_tokens="punctuation" if skiplist == list(string.punctuation) else skiplist,
        embedding_dim=embedding_dim,
        projection="linear" if bias else "linear_no_bias",
    )


PYLATE_LAYOUT = CheckpointLayout(
    family="ColBERT (PyLate, e.g. `lightonai/GTE-ModernColBERT-v1`)",
    kind="bi-encoder",
    recognised_by="`modules.json` of a Transformer and a `pylate.models.Dense` (or PyLate's settings in "
    "`config_sentence_transformers.json`: `query_prefix`/`document_prefix`, `query_length`/`document_length`, "
    "`do_query_expansion`, `attend_to_expansion_tokens`, `skiplist_words`)",
    reference="PyLate `ColBERT.encode` + `colbert_scores`, scores recorded in a fixture",
    detect=pylate_config,
)
"""PyLate folders load as :class:`~lightning_ir.models.col.ColModel` and score as PyLate does."""
