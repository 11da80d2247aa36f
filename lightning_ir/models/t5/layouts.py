"""How T5 re-ranker checkpoints are recognised from their files, and the dense head of the encoder-only RankT5.

- monoT5 and RankT5 (encoder-decoder) are ``T5ForConditionalGeneration`` (or ``MT5ForConditionalGeneration``)
  checkpoints, saved by transformers' ``save_pretrained``: ``config.json`` names the architecture. Their files do
  not say which of the two they are, so they load as monoT5 unless ``config.json`` carries
  ``"decoder_strategy": "rank"``; a published RankT5 is loaded with ``T5CrossEncoderConfig(decoder_strategy="rank")``.
  A plain ``t5-base`` is such a checkpoint as well: it loads as an untrained monoT5, the starting point of monoT5
  fine-tuning.
- The encoder-only RankT5 (a T5 encoder, pooling and a dense layer with one output) has no transformers class; it is
  recognised in the layout sentence-transformers writes for exactly that stack: ``modules.json`` with a Transformer
  (a T5 or mT5 encoder), a Pooling (``cls`` or ``mean``) and a Dense module with ``out_features`` 1 and the identity
  activation.
"""

from __future__ import annotations

from typing import Any

import torch

from ...base.layouts import CheckpointFiles, CheckpointLayout, DamagedFileError
from ...options import PoolingStrategy
from .config import T5CrossEncoderConfig

ENCODER_DECODER_ARCHITECTURES = frozenset({"T5ForConditionalGeneration", "MT5ForConditionalGeneration"})
"""``config.json`` architectures of the encoder-decoder T5 re-rankers."""

ENCODER_ONLY_MODULES = ["Transformer", "Pooling", "Dense"]
"""The sentence-transformers modules of an encoder-only RankT5, in order."""

_T5_MODEL_TYPES = ("t5", "mt5")
_POOLING_MODES: dict[str, PoolingStrategy] = {"cls": "first", "mean": "mean"}
_LEGACY_POOLING_MODES: dict[str, PoolingStrategy] = {
    "pooling_mode_cls_token": "first",
    "pooling_mode_mean_tokens": "mean",
}


def _detect_encoder_decoder(files: CheckpointFiles) -> T5CrossEncoderConfig | None:
    """monoT5, or RankT5 when ``config.json`` says ``"decoder_strategy": "rank"``."""
    if not ENCODER_DECODER_ARCHITECTURES & set(files.architectures):
        return None
    strategy = files.config.get("decoder_strategy", "mono")
    if strategy not in ("mono", "rank"):
        raise DamagedFileError(
            f"{files.file('config.json')}: decoder_strategy {strategy!r} is not a T5 re-ranker's; expected 'mono' or "
            "'rank'"
        )
    return T5CrossEncoderConfig(decoder_strategy=strategy)


def _module_path(files: CheckpointFiles, module_type: str) -> str:
    entry = next(entry for entry in files.modules if str(entry.get("type", "")).endswith(module_type))
    path = str(entry.get("path", "")).strip("/")
    return f"{path}/" if path else ""


def _pooling(files: CheckpointFiles) -> PoolingStrategy | None:
    """The encoder-only model's pooling, or None when the Pooling module uses another mode."""
    config = files.json(_module_path(files, "Pooling") + "config.json") or {}
    if "pooling_mode" in config:  # sentence-transformers >= 5 writes one string
        return _POOLING_MODES.get(str(config["pooling_mode"]))
    modes = [strategy for option, strategy in _LEGACY_POOLING_MODES.items() if config.get(option)]
    others = [option for option, value in config.items() if option.startswith("pooling_mode_") and value]
    return modes[0] if len(modes) == 1 and len(others) == 1 else None


def _dense_config(files: CheckpointFiles) -> dict[str, Any]:
    config = files.json(_module_path(files, "Dense") + "config.json")
    return config if isinstance(config, dict) else {}


def _is_scoring_dense(config: dict[str, Any]) -> bool:
    """A Dense module on the pooled embedding with one output and no activation."""
    activation = str(config.get("activation_function", "torch.nn.modules.activation.Tanh"))
    on_pooled = config.get("module_input_name", "sentence_embedding") == "sentence_embedding"
    return config.get("out_features") == 1 and activation.endswith(".Identity") and on_pooled


def _detect_encoder_only(files: CheckpointFiles) -> T5CrossEncoderConfig | None:
    """The encoder-only RankT5 config of a sentence-transformers T5 encoder with a one-output Dense head."""
    if files.module_types != ENCODER_ONLY_MODULES or files.config.get("model_type") not in _T5_MODEL_TYPES:
        return None
    dense = _dense_config(files)
    pooling = _pooling(files)
    if not _is_scoring_dense(dense) or pooling is None:
        return None
    kwargs: dict[str, Any] = {}
    settings = files.json("sentence_bert_config.json")
    if isinstance(settings, dict) and isinstance(settings.get("max_seq_length"), int):
        kwargs["doc_length"] = settings["max_seq_length"]
    return T5CrossEncoderConfig(
        decoder_strategy=None, pooling_strategy=pooling, linear_bias=bool(dense.get("bias", True)), **kwargs
    )


def load_dense_head(linear: torch.nn.Linear, model_name_or_path: str, hub_kwargs: dict[str, Any]) -> bool:
    """Copy the one-output Dense module of a sentence-transformers T5 folder into ``linear``.

    Args:
        linear: The encoder-only model's head ``(hidden -> 1)``.
        model_name_or_path: The checkpoint.
        hub_kwargs: ``revision``, ``cache_dir``, ``local_files_only``, ``token`` for hub ids.

    Returns:
        Whether a head was loaded (False: the checkpoint has none, ``linear`` stays fresh).

    Raises:
        ValueError: If the checkpoint's Dense module does not fit ``linear`` (naming its file).
    """
    files = CheckpointFiles(model_name_or_path, hub_kwargs)
    if "Dense" not in files.module_types:
        return False
    prefix = _module_path(files, "Dense")
    dense = _dense_config(files)
    weight_file = files.file(prefix + "model.safetensors") or files.file(prefix + "pytorch_model.bin")
    if not _is_scoring_dense(dense) or weight_file is None:
        raise ValueError(
            f"T5CrossEncoderModel: the Dense module of {model_name_or_path!r} ({prefix or './'}) is not a scoring head "
            "(out_features 1, identity activation, with its weights)"
        )
    if weight_file.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(weight_file))
    else:
        state = torch.load(weight_file, map_location="cpu", weights_only=True)
    state = {key.removeprefix("linear."): value for key, value in state.items()}
    if set(state) != {name for name, _ in linear.named_parameters()}:
        raise ValueError(
            f"T5CrossEncoderModel: {weight_file} holds {sorted(state)}; the head expects "
            f"{sorted(name for name, _ in linear.named_parameters())} (set linear_bias to match the Dense module's "
            "bias)"
        )
    linear.load_state_dict(state)
    return True


T5_ENCODER_DECODER_LAYOUT = CheckpointLayout(
    family="monoT5 / RankT5 (T5 encoder-decoder re-rankers)",
    kind="cross-encoder",
    recognised_by="`config.json` architectures `T5ForConditionalGeneration` or `MT5ForConditionalGeneration`: monoT5 "
    "(log-probability of `▁true` against `▁false` at the first decoder step); RankT5 (logit of `<extra_id_10>`) when "
    '`config.json` has `"decoder_strategy": "rank"` (published RankT5 files look like monoT5\'s: pass '
    '`T5CrossEncoderConfig(decoder_strategy="rank")`)',
    reference="transformers `T5ForConditionalGeneration` forward, first decoder step (scored as pygaggle's MonoT5 / "
    "the RankT5 paper)",
    detect=_detect_encoder_decoder,
)

T5_ENCODER_ONLY_LAYOUT = CheckpointLayout(
    family="RankT5 encoder-only",
    kind="cross-encoder",
    recognised_by="`modules.json` of Transformer (a T5/mT5 encoder), Pooling (cls/mean) and Dense with `out_features` "
    "1 and identity activation",
    reference="transformers `T5EncoderModel` + the Pooling and Dense head (and sentence-transformers "
    "`SentenceTransformer.encode`)",
    detect=_detect_encoder_only,
)
