"""Configuration shared by every Lightning IR model."""

from __future__ import annotations

import inspect
import os
from typing import Any, ClassVar

from transformers import AutoConfig, PretrainedConfig

from ..validation import check_positive_int
from .loading import check_model_path

NOT_ADDED_ARGS = frozenset({"backbone_config"})
"""``__init__`` arguments that are not hyperparameters of the model (kept out of the derived ``ADDED_ARGS``)."""


def init_arg_names(config_class: type) -> set[str]:
    """The named arguments of ``config_class.__init__`` (without ``self``, ``*args`` and ``**kwargs``).

    Args:
        config_class: A config class.

    Returns:
        The argument names, less :data:`NOT_ADDED_ARGS`.
    """
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(config_class).parameters.values()  # the __init__ arguments after self
    return {parameter.name for parameter in parameters if parameter.kind in named} - NOT_ADDED_ARGS


class LightningIRConfig(PretrainedConfig):
    """Hyperparameters of a Lightning IR model, saved next to its weights as ``config.json``.

    A Lightning IR model wraps a Hugging Face backbone (BERT, ELECTRA, RoBERTa, ...). The backbone's own config is
    kept in :attr:`backbone_config`, and its attributes (``hidden_size``, ``vocab_size``, ...) can be read directly
    from this config, so ``config.hidden_size`` is the backbone's hidden size.

    ``ADDED_ARGS`` names the hyperparameters saved and restored with the model. It is derived from the signatures:
    a subclass that does not set it gets its parent's ``ADDED_ARGS`` plus the named arguments of its own ``__init__``
    (``backbone_config`` aside), so a new hyperparameter only has to be an ``__init__`` argument. A subclass that sets
    ``ADDED_ARGS`` itself keeps what it sets. ``TOKENIZER_ARGS`` names the ones the tokenizer needs.

    Args:
        query_length: Maximum number of tokens of a query (a positive integer).
        doc_length: Maximum number of tokens of a document (for cross-encoders: of the query-document pair; a positive
            integer). When the model is built, a length above what the backbone can encode (its
            ``max_position_embeddings``) is lowered to that limit with a warning: the lengths are upper bounds, so
            the lowered value keeps their meaning, while refusing would make the default 512 fail on backbones with
            shorter position tables.
        backbone_config: The backbone's config, or its dict (with ``model_type``), or None before a backbone is
            attached.

    Raises:
        ValueError: If a length is not a positive integer (naming the argument and the value).
    """

    model_type = "lightning-ir"
    ADDED_ARGS: ClassVar[set[str]]  # derived: see __init_subclass__ and the end of this module
    TOKENIZER_ARGS: ClassVar[set[str]] = {"query_length", "doc_length"}

    def __init__(
        self,
        query_length: int = 32,
        doc_length: int = 512,
        backbone_config: PretrainedConfig | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.query_length = check_positive_int(type(self).__name__, "query_length", query_length)
        self.doc_length = check_positive_int(type(self).__name__, "doc_length", doc_length)
        if isinstance(backbone_config, dict):
            backbone_config = AutoConfig.for_model(**backbone_config)
        self.backbone_config = backbone_config

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Keep the inherited ``__init__`` and derive ``ADDED_ARGS`` (see the class docstring).

        Hugging Face turns every config subclass into a dataclass and gives one without an ``__init__`` of its own a
        generated one that skips the parent's (so ``class MyConfig(ColConfig): model_type = "my"`` would lose
        ColConfig's arguments); such a generated ``__init__`` is removed again, so the parent's runs.
        """
        has_own_init = "__init__" in cls.__dict__
        super().__init_subclass__(**kwargs)
        if not has_own_init and "__init__" in cls.__dict__:
            del cls.__init__
        if "ADDED_ARGS" not in cls.__dict__:
            inherited = set().union(*(getattr(base, "ADDED_ARGS", set()) for base in cls.__bases__))
            cls.ADDED_ARGS = inherited | (init_arg_names(cls) if has_own_init else set())

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: fall back to the backbone's attributes (hidden_size, ...).
        backbone_config = self.__dict__.get("backbone_config")
        if backbone_config is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(backbone_config, name)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls, pretrained_model_name_or_path: str | os.PathLike[str], *args: Any, **kwargs: Any
    ) -> Any:
        """Load a saved config, refusing a local path that does not exist.

        The error names the path (see :func:`~lightning_ir.base.loading.check_model_path`).
        """
        path = check_model_path(
            pretrained_model_name_or_path, f"{cls.__name__}.from_pretrained", "pretrained_model_name_or_path"
        )
        return super().from_pretrained(path, *args, **kwargs)

    @property
    def backbone_model_type(self) -> str | None:
        """The ``model_type`` of the attached backbone (e.g. ``"bert"``), or None."""
        return None if self.backbone_config is None else self.backbone_config.model_type

    def to_added_args_dict(self) -> dict[str, Any]:
        """The values of the attributes in ``ADDED_ARGS``."""
        return {arg: getattr(self, arg) for arg in sorted(self.ADDED_ARGS) if hasattr(self, arg)}

    def to_tokenizer_dict(self) -> dict[str, Any]:
        """The values of the attributes in ``TOKENIZER_ARGS``, passed to the tokenizer."""
        return {arg: getattr(self, arg) for arg in sorted(self.TOKENIZER_ARGS) if hasattr(self, arg)}

    def to_dict(self) -> dict[str, Any]:
        """Serialise the config, including the nested backbone config."""
        output = super().to_dict()
        if self.backbone_config is not None:
            output["backbone_config"] = self.backbone_config.to_dict()
        return output

    def to_diff_dict(self) -> dict[str, Any]:
        """Serialise what differs from the defaults, always keeping the backbone config whole."""
        output = super().to_diff_dict()
        if self.backbone_config is not None:
            output["backbone_config"] = self.backbone_config.to_dict()
        return output


LightningIRConfig.ADDED_ARGS = init_arg_names(LightningIRConfig)
