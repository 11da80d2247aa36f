"""LoRA adapters (peft) on a model's backbone: train a few weights, save them beside the base model, merge in one call.

``LightningIRModule(..., adapter_config=LoraAdapterConfig(r=8))`` injects LoRA layers into every linear layer of the
backbone (or those ``target_modules`` names); only the adapter weights train, plus the heads
outside the backbone (projection / linear head) when ``train_heads`` is set (a fresh head must train). A saved
folder holds the base model's weights in ``model.safetensors`` (the backbone's as they were, apart from biases
trained with ``bias="all"`` or ``"lora_only"``; the heads as trained) and the adapter beside them in
``adapter/`` (``adapter_config.json`` and ``adapter_model.safetensors``, peft's format); loading the folder loads
both. ``module.merge_adapter()`` folds the adapter into the base weights (peft's merge), after which the model is a
plain model again. peft is an optional extra: ``pip install lightning-ir[peft]``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..options import LoraAllLinear, LoraBias
from ..validation import check_option, check_positive_int

if TYPE_CHECKING:
    from .model import LightningIRModel

ADAPTER_DIR = "adapter"
"""The sub-folder of a saved model folder that holds its adapter."""
ADAPTER_NAME = "default"
"""The adapter's name inside peft."""
_SETTINGS_FILE = "lightning_ir_adapter.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", _SETTINGS_FILE)
"""The files of a saved adapter (the settings file is Lightning IR's; a folder written by peft alone lacks it)."""


def _peft() -> Any:
    try:
        import peft
    except ImportError as error:
        raise ImportError("LoRA adapters need peft: pip install 'lightning-ir[peft]'") from error
    return peft


class LoraAdapterConfig:
    """Settings of a LoRA adapter (turned into a ``peft.LoraConfig``).

    Args:
        r: Rank of the update matrices.
        lora_alpha: Scaling numerator (the update is scaled by ``lora_alpha / r``).
        lora_dropout: Dropout on the adapter's input.
        target_modules: Which of the backbone's linear layers get adapters: ``"all-linear"`` (every one; on SciFact
            this matched full fine-tuning, attention-only adapters did not), a list of names (suffixes, e.g.
            ``["query", "value"]``), or None for peft's defaults for the backbone's model type (``query`` and
            ``value`` for BERT).
        bias: Which biases train: ``"none"``, ``"all"`` or ``"lora_only"``.
        train_heads: Whether the weights outside the backbone (a bi-encoder's projection, a cross-encoder's linear
            head) train too. A freshly initialised head must.
    """

    def __init__(
        self,
        r: int = 8,
        lora_alpha: int = 16,
        lora_dropout: float = 0.0,
        target_modules: list[str] | LoraAllLinear | None = "all-linear",
        bias: LoraBias = "none",
        train_heads: bool = True,
    ) -> None:
        check_positive_int("LoraAdapterConfig", "r", r)
        check_positive_int("LoraAdapterConfig", "lora_alpha", lora_alpha)
        if not 0.0 <= lora_dropout < 1.0:
            raise ValueError(f"LoraAdapterConfig: lora_dropout must be in [0, 1), got {lora_dropout!r}")
        check_option("LoraAdapterConfig", "bias", bias, LoraBias)
        self.r = r
        self.lora_alpha = lora_alpha
        self.lora_dropout = lora_dropout
        if isinstance(target_modules, str):  # a list of names or None otherwise
            check_option("LoraAdapterConfig", "target_modules", target_modules, LoraAllLinear)
        self.target_modules: list[str] | str | None = (
            target_modules if target_modules is None or isinstance(target_modules, str) else list(target_modules)
        )
        self.bias = bias
        self.train_heads = train_heads

    def to_peft(self) -> Any:
        """The ``peft.LoraConfig`` of these settings."""
        return _peft().LoraConfig(
            r=self.r,
            lora_alpha=self.lora_alpha,
            lora_dropout=self.lora_dropout,
            target_modules=self.target_modules,
            bias=self.bias,
        )


def add_adapter(model: LightningIRModel, config: LoraAdapterConfig | Any, untrained_tokens: int = 0) -> None:
    """Inject a LoRA adapter into ``model.backbone`` and leave only the adapter (and maybe the heads) trainable.

    Args:
        model: The model; it must not have an adapter yet.
        config: A :class:`LoraAdapterConfig`, or a ``peft.LoraConfig`` (then the heads train too).
        untrained_tokens: Tokens just added to the vocabulary (marker tokens) with fresh embeddings; a warning says
            that they do not train under the adapter.

    Raises:
        ValueError: If the model already has an adapter, or has untied query and document encoders.
    """
    if has_adapter(model):
        raise ValueError(f"{type(model).__name__} already has a LoRA adapter; merge it first (merge_adapter())")
    if getattr(model, "doc_backbone", None) is not None:
        raise ValueError(
            f"{type(model).__name__}: LoRA adapters on untied query and document encoders (tie_encoders=False) are "
            "not supported; fine-tune them fully or use tied encoders"
        )
    peft = _peft()
    settings = config if isinstance(config, LoraAdapterConfig) else None
    peft_config = settings.to_peft() if settings is not None else config
    if not isinstance(peft_config, peft.LoraConfig):
        raise TypeError(f"adapter_config must be a LoraAdapterConfig or a peft.LoraConfig, got {type(config).__name__}")
    if untrained_tokens:
        warnings.warn(
            f"{type(model).__name__}: the {untrained_tokens} tokens added to the vocabulary (marker tokens) have fresh "
            "embeddings that do not train under a LoRA adapter; train them first or use a backbone that has them",
            stacklevel=3,
        )
    frozen = _frozen_names(model)
    peft.inject_adapter_in_model(peft_config, model.backbone, ADAPTER_NAME)
    _set_trainable(model, settings.train_heads if settings is not None else True, frozen)


def has_adapter(model: LightningIRModel) -> bool:
    """Whether the model's backbone holds LoRA layers."""
    return any("lora_" in name for name, _ in model.backbone.named_parameters())


def _frozen_names(model: LightningIRModel) -> frozenset[str]:
    """The parameters that do not train before an adapter goes in (e.g. SPLADE's frozen query weights)."""
    return frozenset(name for name, parameter in model.named_parameters() if not parameter.requires_grad)


def _set_trainable(model: LightningIRModel, train_heads: bool, frozen: frozenset[str]) -> None:
    """Sets which weights train beside the adapter.

    The backbone trains what peft left trainable (the LoRA weights, and biases as ``bias`` says); the heads train
    when ``train_heads``, except those that were frozen before the adapter went in (``frozen``).
    """
    for name, parameter in model.named_parameters():
        if not name.startswith("backbone."):
            parameter.requires_grad_(train_heads and name not in frozen)
    setattr(model, "adapter_train_heads", train_heads)  # noqa: B010 (a plain attribute, not saved in the config)
    setattr(model, "adapter_frozen", frozen)  # noqa: B010 (restored by merge_adapter)


def merge_adapter(model: LightningIRModel) -> None:
    """Fold the adapter into the backbone's weights (peft's merge) and remove the LoRA layers.

    Afterwards every weight trains again, except those that were frozen before the adapter went in.

    Raises:
        ValueError: If the model has no adapter.
    """
    if not has_adapter(model):
        raise ValueError(f"{type(model).__name__} has no LoRA adapter to merge")
    from peft.tuners.tuners_utils import BaseTunerLayer

    layers = [(name, module) for name, module in model.backbone.named_modules() if isinstance(module, BaseTunerLayer)]
    for name, layer in layers:
        layer.merge()
        parent_name, _, child = name.rpartition(".")
        parent = model.backbone.get_submodule(parent_name) if parent_name else model.backbone
        setattr(parent, child, layer.get_base_layer())
    if hasattr(model.backbone, "peft_config"):
        del model.backbone.peft_config
    frozen: frozenset[str] = getattr(model, "adapter_frozen", frozenset())
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name not in frozen)


def base_state_dict(model: LightningIRModel) -> dict[str, torch.Tensor]:
    """The model's state dict without the adapter: the base weights under their original names."""
    return {key.replace(".base_layer.", "."): value for key, value in model.state_dict().items() if ".lora_" not in key}


def save_adapter(model: LightningIRModel, directory: Path) -> None:
    """Write the adapter to ``directory`` (peft's ``adapter_config.json`` and ``adapter_model.safetensors``)."""
    peft = _peft()
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    model.backbone.peft_config[ADAPTER_NAME].save_pretrained(str(directory))
    state = peft.get_peft_model_state_dict(model.backbone, adapter_name=ADAPTER_NAME)
    save_file({key: value.contiguous() for key, value in state.items()}, str(directory / "adapter_model.safetensors"))
    train_heads = bool(getattr(model, "adapter_train_heads", True))
    (directory / _SETTINGS_FILE).write_text(json.dumps({"train_heads": train_heads}), encoding="utf-8")


def load_adapter(model: LightningIRModel, directory: Path) -> None:
    """Inject the adapter saved in ``directory`` into the model and load its weights.

    Raises:
        ValueError: If the adapter's weights do not fit the model (naming the folder and the first keys).
    """
    peft = _peft()
    from safetensors.torch import load_file

    peft_config = peft.LoraConfig.from_pretrained(str(directory))
    settings_file = directory / _SETTINGS_FILE
    settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
    train_heads = settings.get("train_heads", True)
    frozen = _frozen_names(model)
    peft.inject_adapter_in_model(peft_config, model.backbone, ADAPTER_NAME)
    result = peft.set_peft_model_state_dict(
        model.backbone, load_file(str(directory / "adapter_model.safetensors")), adapter_name=ADAPTER_NAME
    )
    missing = [key for key in result.missing_keys if "lora_" in key]
    if result.unexpected_keys or missing:
        raise ValueError(
            f"{directory}: the adapter does not fit the model (unexpected {result.unexpected_keys[:3]}, "
            f"missing {missing[:3]})"
        )
    _set_trainable(model, bool(train_heads), frozen)


def trainable_parameters(model: torch.nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameter counts."""
    trainable = sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)
    return trainable, sum(parameter.numel() for parameter in model.parameters())
