"""Saving a model folder: weights, tokenizer and a Hugging Face model card, replaced atomically.

The folder ``LightningIRModule.save_pretrained`` writes is what the Hugging Face Hub shows: besides ``config.json``,
the weights and the tokenizer files it holds a ``README.md`` model card whose front matter says
``library_name: lightning-ir`` (so the Hub links the library and shows its usage snippet) and whose body gives the
architecture and two lines of usage.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from transformers.models.auto.configuration_auto import CONFIG_MAPPING

from ..atomic import atomic_directory
from .adapters import ADAPTER_DIR, base_state_dict, has_adapter, save_adapter
from .config import LightningIRConfig
from .loading import looks_like_local_path

if TYPE_CHECKING:
    from .module import LightningIRModule

MODEL_CARD = "README.md"
"""The model card's file name in a saved model folder."""


def is_lightning_ir_model_dir(path: Path) -> bool:
    """Whether ``path`` holds a model saved by Lightning IR (its ``config.json`` has a Lightning IR model type)."""
    try:
        data = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    model_type = data.get("model_type") if isinstance(data, dict) else None
    if not isinstance(model_type, str) or model_type not in CONFIG_MAPPING:
        return False
    return issubclass(CONFIG_MAPPING[model_type], LightningIRConfig)


def save_model_folder(module: LightningIRModule, directory: str | Path, what: str = "model") -> Path:
    """Write ``module``'s model, tokenizer and model card to ``directory``, replacing it atomically.

    A model with a LoRA adapter is saved as its base weights plus the adapter in ``adapter/`` (see
    :mod:`lightning_ir.base.adapters`).

    The files go to a temporary sibling folder first, which is then renamed to ``directory`` (a previous folder is
    moved aside and deleted only after the new one is in place). Only a Lightning IR model folder (or an empty
    folder) is replaced.

    Args:
        module: The module to save.
        directory: The target folder.
        what: What is saved, for messages (``"Hugging Face checkpoint"``).

    Returns:
        ``directory``.

    Raises:
        OverwriteRefusedError: ``directory`` exists and is not a Lightning IR model folder.
    """
    with atomic_directory(directory, is_lightning_ir_model_dir, what) as staging:
        if has_adapter(module.model):
            module.model.save_pretrained(str(staging), state_dict=base_state_dict(module.model))
            save_adapter(module.model, staging / ADAPTER_DIR)
        else:
            module.model.save_pretrained(str(staging))
        module.tokenizer.save_pretrained(str(staging))
        (staging / MODEL_CARD).write_text(model_card(module, Path(directory).name), encoding="utf-8")
    return Path(directory)


def model_card(module: LightningIRModule, title: str) -> str:
    """The Hugging Face model card (``README.md``) of a saved module.

    Args:
        module: The module being saved.
        title: The card's heading (the folder's name).
    """
    config = module.model.config
    module_class = type(module).__name__
    backbone = config.backbone_config
    backbone_type = getattr(backbone, "model_type", "unknown")
    base_model = _base_model(config)
    from ..cross_encoder.config import CrossEncoderConfig  # the families build on base: imported when used

    kind = "cross-encoder" if isinstance(config, CrossEncoderConfig) else "bi-encoder"
    tags = "".join(f"\n- {tag}" for tag in dict.fromkeys(("lightning-ir", kind, config.model_type)))
    front_matter = ["---", "library_name: lightning-ir", f"tags:{tags}"]
    if base_model is not None:
        front_matter.append(f"base_model: {base_model}")
    front_matter.append(f"pipeline_tag: {'text-ranking' if kind == 'cross-encoder' else 'feature-extraction'}")
    front_matter.append("---")
    settings = "\n".join(f"| `{key}` | `{value!r}` |" for key, value in sorted(config.to_added_args_dict().items()))
    body = f"""
# {title}

A Lightning IR {kind}: `{type(config).__name__}` /
`{type(module.model).__name__}` (model type `{config.model_type}`) on a `{backbone_type}` backbone
({_parameters(module)} parameters){f", from `{base_model}`" if base_model else ""}.

## Usage

```python
from lightning_ir import {module_class}
{module_class}("{title}").score("what do cats eat", ["Cats are carnivores.", "The stock market fell."])
```

## Settings

| Setting | Value |
|---|---|
{settings}
"""
    return "\n".join(front_matter) + "\n" + body


def _base_model(config: LightningIRConfig) -> str | None:
    """The Hub id the model was loaded from, when it was a Hub id (never a local path)."""
    name = str(getattr(config, "name_or_path", "") or "")
    if not name or looks_like_local_path(name) or Path(name).exists():
        return None
    return name if re.fullmatch(r"[\w.-]+(/[\w.-]+)?", name) else None


def _parameters(module: LightningIRModule) -> str:
    count = sum(parameter.numel() for parameter in module.model.parameters())
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)
