"""The tokenizer class every Lightning IR tokenizer derives from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from transformers import AutoTokenizer, BatchEncoding, PreTrainedTokenizerBase
from transformers.models.auto.tokenization_auto import tokenizer_class_from_name

from .config import LightningIRConfig

TokenizerT = TypeVar("TokenizerT", bound="LightningIRTokenizer")

_BACKBONE_CLASS_KEY = "lightning_ir_backbone_tokenizer_class"
_ARGS_KEY = "lightning_ir_tokenizer_args"


class LightningIRTokenizer:
    """Tokenises queries and documents for a Lightning IR model.

    It holds the backbone's Hugging Face tokenizer (:attr:`tokenizer`) and the ranking-specific settings (lengths,
    markers, expansion). Attributes it does not define (``pad_token_id``, ``vocab``, ...) are read from the backbone
    tokenizer. :meth:`from_pretrained` loads it from a saved Lightning IR model or from any backbone.

    Args:
        query_length: Maximum number of tokens of a query.
        doc_length: Maximum number of tokens of a document.
        tokenizer: The backbone's Hugging Face tokenizer.
    """

    config_class: ClassVar[type[LightningIRConfig]] = LightningIRConfig

    def __init__(
        self,
        query_length: int = 32,
        doc_length: int = 512,
        tokenizer: PreTrainedTokenizerBase | None = None,
        **kwargs: Any,
    ) -> None:
        if tokenizer is None:
            raise ValueError(
                f"{type(self).__name__} wraps a Hugging Face tokenizer: pass tokenizer=... or use "
                f"{type(self).__name__}.from_pretrained('<model name or path>')"
            )
        self.tokenizer = tokenizer
        self.query_length = query_length
        self.doc_length = doc_length

    def __getattr__(self, name: str) -> Any:
        tokenizer = self.__dict__.get("tokenizer")
        if tokenizer is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(tokenizer, name)

    def __len__(self) -> int:
        return len(self.tokenizer)

    def tokenizer_args(self) -> dict[str, Any]:
        """The ranking settings saved with the tokenizer (the config's ``TOKENIZER_ARGS``)."""
        return {arg: getattr(self, arg) for arg in sorted(self.config_class.TOKENIZER_ARGS) if hasattr(self, arg)}

    def tokenize(
        self, queries: str | list[str] | None = None, docs: str | list[str] | None = None, **kwargs: Any
    ) -> dict[str, BatchEncoding]:
        """Tokenise queries and/or documents; see the subclasses for the keys returned."""
        raise NotImplementedError(f"{type(self).__name__} does not implement tokenize")

    def _encode(self, texts: list[str], max_length: int, **kwargs: Any) -> BatchEncoding:
        kwargs.setdefault("padding", True)
        kwargs.setdefault("return_tensors", "pt")
        return self.tokenizer(texts, truncation=True, max_length=max_length, **kwargs)

    @classmethod
    def from_pretrained(
        cls: type[TokenizerT],
        model_name_or_path: str | Path,
        *args: Any,
        config: LightningIRConfig | None = None,
        **kwargs: Any,
    ) -> TokenizerT:
        """Load the tokenizer of a saved Lightning IR model or of a plain backbone.

        Settings are taken, in increasing priority, from the saved tokenizer, ``config.to_tokenizer_dict()`` and
        ``kwargs``.
        """
        path = str(model_name_or_path)
        saved = _saved_tokenizer_config(path, kwargs)
        backbone_class_name = saved.get(_BACKBONE_CLASS_KEY)
        hub_kwargs = {k: kwargs.pop(k) for k in ("revision", "cache_dir", "local_files_only", "token") if k in kwargs}
        if backbone_class_name is not None and (tokenizer_class := tokenizer_class_from_name(backbone_class_name)):
            backbone = tokenizer_class.from_pretrained(path, **hub_kwargs)
        else:
            backbone = AutoTokenizer.from_pretrained(path, **hub_kwargs)
        settings = dict(saved.get(_ARGS_KEY, {}))
        if config is not None:
            settings.update(config.to_tokenizer_dict())
        settings.update(kwargs)
        settings["tokenizer"] = backbone
        return cls(*args, **settings)

    def save_pretrained(self, save_directory: str | Path, **kwargs: Any) -> tuple[str, ...]:
        """Save the backbone tokenizer's files, marked so that ``AutoTokenizer`` restores this class."""
        files = self.tokenizer.save_pretrained(str(save_directory), **kwargs)
        config_file = Path(save_directory) / "tokenizer_config.json"
        data = json.loads(config_file.read_text()) if config_file.exists() else {}
        data[_BACKBONE_CLASS_KEY] = type(self.tokenizer).__name__
        data["tokenizer_class"] = type(self).__name__
        data[_ARGS_KEY] = self.tokenizer_args()
        config_file.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return tuple(files)


def _saved_tokenizer_config(path: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    from transformers.models.auto.tokenization_auto import get_tokenizer_config

    hub_kwargs = {k: kwargs[k] for k in ("revision", "cache_dir", "local_files_only", "token") if k in kwargs}
    try:
        return dict(get_tokenizer_config(path, **hub_kwargs))
    except OSError:
        return {}
