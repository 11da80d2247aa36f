"""The tokenizer class every Lightning IR tokenizer derives from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

from transformers import AutoTokenizer, BatchEncoding, PreTrainedTokenizerBase
from transformers.models.auto.tokenization_auto import (
    TOKENIZER_MAPPING,
    TOKENIZER_MAPPING_NAMES,
    tokenizer_class_from_name,
)

from ..validation import check_positive_int
from .config import LightningIRConfig
from .layouts import CheckpointFiles
from .loading import TOKENIZER_FILES, check_model_path, naming_damaged_files

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
        self.query_length = check_positive_int(type(self).__name__, "query_length", query_length)
        self.doc_length = check_positive_int(type(self).__name__, "doc_length", doc_length)

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
        ``kwargs``. When the tokenizer class registered for ``config``'s type is a subclass of this class (e.g. the
        T5 cross-encoder's for a :class:`~lightning_ir.models.T5CrossEncoderConfig`), that class loads it.

        Raises:
            FileNotFoundError: If the name looks like a local path but there is no such directory.
            NotADirectoryError: If the name is a file rather than a model folder.
            ValueError: If a tokenizer file is damaged, or a saved Lightning IR tokenizer does not name its backbone
                tokenizer class (both naming the file).
        """
        registered = TOKENIZER_MAPPING.get(type(config), None) if config is not None else None
        if isinstance(registered, type) and registered is not cls and issubclass(registered, cls):
            return cast(TokenizerT, registered.from_pretrained(model_name_or_path, *args, config=config, **kwargs))
        owner = f"{cls.__name__}.from_pretrained"
        path = check_model_path(model_name_or_path, owner, "model_name_or_path")
        hub_keys = ("revision", "cache_dir", "local_files_only", "token")
        hub_kwargs: dict[str, Any] = {key: kwargs.pop(key) for key in hub_keys if key in kwargs}
        with naming_damaged_files(path, owner, TOKENIZER_FILES):
            saved = _saved_tokenizer_config(path, hub_kwargs)
            tokenizer_class = _backbone_tokenizer_class(path, saved, owner)
            if tokenizer_class is not None:
                backbone = tokenizer_class.from_pretrained(path, **hub_kwargs)
            else:
                subfolder = CheckpointFiles(path, hub_kwargs).tokenizer_subfolder()
                backbone = AutoTokenizer.from_pretrained(path, subfolder=subfolder, **hub_kwargs)
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


def _saved_tokenizer_config(path: str, hub_kwargs: dict[str, Any]) -> dict[str, Any]:
    from transformers.models.auto.tokenization_auto import get_tokenizer_config

    try:
        return dict(get_tokenizer_config(path, **hub_kwargs))
    except OSError:
        return {}


def _backbone_tokenizer_class(path: str, saved: dict[str, Any], owner: str) -> Any:
    """The backbone tokenizer class a saved Lightning IR tokenizer names; None for a plain backbone's tokenizer.

    Raises:
        ValueError: If the saved tokenizer is a Lightning IR one but its backbone class is missing or unknown (else
            ``AutoTokenizer`` would hand the folder back to the Lightning IR class, endlessly).
    """
    name = saved.get(_BACKBONE_CLASS_KEY)
    found = tokenizer_class_from_name(name) if isinstance(name, str) and name else None
    if found is not None and not issubclass(found, LightningIRTokenizer):
        return found
    saved_name = saved.get("tokenizer_class")
    saved_class = tokenizer_class_from_name(saved_name) if isinstance(saved_name, str) and saved_name else None
    is_lightning_ir = _ARGS_KEY in saved or (
        isinstance(saved_class, type) and issubclass(saved_class, LightningIRTokenizer)
    )
    if name is None and not is_lightning_ir:
        return None
    problem = "is missing" if name is None else f"is {name!r}, which is not a Hugging Face tokenizer class"
    raise ValueError(
        f"{owner}: the tokenizer_config.json of {path!r} is a Lightning IR tokenizer's, but its "
        f"{_BACKBONE_CLASS_KEY!r} entry {problem}; set it to the backbone's tokenizer class"
        f"{_suggested_backbone_class(path)}, or save the model again with LightningIRModule.save_pretrained"
    )


def _suggested_backbone_class(path: str) -> str:
    """`` (e.g. 'BertTokenizer' for the 'bert' backbone)`` from a local config.json, else an empty string."""
    try:
        model_type = json.loads((Path(path) / "config.json").read_text())["backbone_config"]["model_type"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    names: Any = TOKENIZER_MAPPING_NAMES.get(model_type)
    name = names if isinstance(names, str) else next((n for n in names or () if n), None)
    return f" (e.g. {name!r} for the {model_type!r} backbone)" if name else ""
