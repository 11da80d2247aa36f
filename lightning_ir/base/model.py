"""The model class every Lightning IR model derives from."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import torch
from transformers import AutoConfig, PretrainedConfig, PreTrainedModel
from transformers.models.auto.modeling_auto import MODEL_MAPPING

from ..options import PoolingStrategy, SparsificationStrategy
from ..validation import check_option
from .adapters import ADAPTER_DIR, ADAPTER_FILES, load_adapter
from .backbone import ENCODER_DECODER_HINT, build_backbone, check_encoder_only, load_backbone
from .config import LightningIRConfig
from .layouts import CheckpointFiles, ModelKind, describe_layouts, detect_layout
from .loading import WEIGHT_FILES, check_model_path, naming_damaged_files
from .outputs import LightningIROutput
from .sizes import fit_lengths_to_backbone

ModelT = TypeVar("ModelT", bound="LightningIRModel")


class LightningIRModel(PreTrainedModel):
    """A Hugging Face model that wraps a backbone encoder (``self.backbone``) for ranking.

    The backbone is built from ``config.backbone_config`` by composition, so any encoder with a Hugging Face
    ``AutoModel`` class works (BERT, ELECTRA, RoBERTa, DistilBERT, ModernBERT, ...). :meth:`from_pretrained` accepts
    both a saved Lightning IR model and a plain backbone (whose pretrained weights are loaded, with fresh heads).

    Building the model checks the backbone (an encoder-decoder one is refused) and lowers ``query_length`` and
    ``doc_length`` to what the backbone can encode, with a warning (see :class:`LightningIRConfig`).

    Args:
        config: The model's configuration; its ``backbone_config`` must be set.

    Attributes:
        output_class: The class of the model's output (subclasses set their own).
        checkpoint_kind: The kind of published checkpoints :meth:`from_pretrained` recognises by their files (see
            :mod:`lightning_ir.base.layouts`); None: none.
    """

    config_class: type[LightningIRConfig] = LightningIRConfig  # type: ignore[assignment]
    output_class: ClassVar[type[LightningIROutput]] = LightningIROutput
    checkpoint_kind: ClassVar[ModelKind | None] = None
    base_model_prefix = "backbone"
    config: LightningIRConfig

    def __init__(self, config: LightningIRConfig, *args: Any, **kwargs: Any) -> None:
        if config.backbone_config is None:
            raise ValueError(
                f"{type(self).__name__}: the config has no backbone; load the model with "
                "from_pretrained('<backbone name or path>', config=...) or set config.backbone_config"
            )
        check_encoder_only(config.backbone_config, type(self))
        super().__init__(config, *args, **kwargs)
        self.backbone = self._build_backbone()
        self.config.backbone_config = self.backbone.config
        fit_lengths_to_backbone(self.config, self.backbone)

    @property
    def backbone_config(self) -> PretrainedConfig:
        """The backbone's config (always set once the model exists)."""
        backbone_config = self.config.backbone_config
        if backbone_config is None:
            raise ValueError(f"{type(self).__name__}: the config has no backbone_config")
        return backbone_config

    def _build_backbone(self) -> PreTrainedModel:
        """A randomly initialised backbone; subclasses with a backbone-dependent head override this."""
        return build_backbone(self.backbone_config)

    def _load_pretrained_backbone(self, model_name_or_path: str, **kwargs: Any) -> None:
        """Replace the backbone by the pretrained one at ``model_name_or_path``."""
        self.backbone = load_backbone(model_name_or_path, self.backbone_config, **kwargs)
        self.config.backbone_config = self.backbone.config

    @cached_property
    def _backbone_forward_arguments(self) -> set[str] | None:
        parameters = inspect.signature(self.backbone.forward).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return None
        return set(parameters)

    def _backbone_forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the backbone; encoding keys it does not take (e.g. ``token_type_ids`` for DistilBERT) are dropped.

        Returns:
            The backbone's output; ``last_hidden_state`` is ``(batch, seq, hidden)``.
        """
        accepted = self._backbone_forward_arguments
        if accepted is not None:
            kwargs = {key: value for key, value in kwargs.items() if key in accepted}
        return self.backbone(*args, **kwargs)

    def _sparsification(
        self, embeddings: torch.Tensor, sparsification_strategy: SparsificationStrategy | None = None
    ) -> torch.Tensor:
        """Make embeddings non-negative: ``relu``, ``relu_log`` or ``relu_log_log``; None leaves them.

        ``relu_log`` is ``log(1 + relu(x))``, ``relu_log_log`` is ``log(1 + log(1 + relu(x)))``.
        """
        check_option(type(self).__name__, "sparsification", sparsification_strategy, SparsificationStrategy | None)
        if sparsification_strategy is None:
            return embeddings
        embeddings = torch.relu(embeddings)
        if sparsification_strategy in ("relu_log", "relu_log_log"):
            embeddings = torch.log1p(embeddings)
        if sparsification_strategy == "relu_log_log":
            embeddings = torch.log1p(embeddings)
        return embeddings

    def _pooling(
        self,
        embeddings: torch.Tensor,
        attention_mask: torch.Tensor | None,
        pooling_strategy: PoolingStrategy | None,
    ) -> torch.Tensor:
        """Pool token embeddings ``(batch, seq, dim)`` into ``(batch, 1, dim)``; None keeps every token.

        ``first`` takes the first token, ``mean``/``sum``/``max`` aggregate the tokens the attention mask keeps.
        """
        check_option(type(self).__name__, "pooling_strategy", pooling_strategy, PoolingStrategy | None)
        if pooling_strategy is None:
            return embeddings
        if pooling_strategy == "first":
            return embeddings[:, :1]
        if attention_mask is None:
            attention_mask = torch.ones(embeddings.shape[:2], device=embeddings.device)
        mask = attention_mask.unsqueeze(-1).to(embeddings.dtype)
        if pooling_strategy == "max":
            filled = embeddings.masked_fill(mask == 0, torch.finfo(embeddings.dtype).min)
            return filled.amax(dim=1, keepdim=True)
        summed = (embeddings * mask).sum(dim=1, keepdim=True)
        if pooling_strategy == "sum":
            return summed
        return summed / mask.sum(dim=1, keepdim=True).clamp(min=1)

    @classmethod
    def _model_class_for(cls: type[ModelT], config: LightningIRConfig) -> type[ModelT]:
        """The registered model class for ``config``'s type, if it is ``cls`` or a subclass of it, else ``cls``."""
        registered = cast(type[ModelT], MODEL_MAPPING[type(config)]) if type(config) in MODEL_MAPPING else None
        if registered is None or registered is cls or not issubclass(registered, cls):
            if not isinstance(config, cls.config_class):
                raise ValueError(
                    f"{cls.__name__} cannot be built from a {type(config).__name__} "
                    f"(model type {config.model_type!r}); expected a {cls.config_class.__name__}"
                )
            return cls
        return registered

    @classmethod
    def _detected_config(cls, path: str, hub_kwargs: Mapping[str, Any]) -> LightningIRConfig | None:
        """The config of the published family whose files ``path`` has (see :mod:`lightning_ir.base.layouts`).

        None for a saved Lightning IR model, a plain backbone, or a model class that detects nothing
        (:attr:`checkpoint_kind` None).
        """
        if cls.checkpoint_kind is None:
            return None
        files = CheckpointFiles(path, hub_kwargs)
        if "backbone_config" in files.config:
            return None
        detected = detect_layout(files, cls.checkpoint_kind)
        if detected is None:
            if files.modules or files.config.get("is_encoder_decoder"):
                what = (
                    f"modules {files.module_types}"
                    if files.modules
                    else f"an encoder-decoder model of type {files.config.get('model_type')!r}"
                )
                raise ValueError(
                    f"{cls.__name__}.from_pretrained: {path!r} ({what}) is not a {cls.checkpoint_kind} layout "
                    f"Lightning IR recognises. Looked for: {describe_layouts(cls.checkpoint_kind)}; or a plain encoder "
                    "backbone (BERT, ELECTRA, RoBERTa, ...) to get fresh heads"
                    + ("" if files.modules else f". {ENCODER_DECODER_HINT}")
                )
            return None
        config = detected[1]
        return config if isinstance(config, cls.config_class) else None

    @classmethod
    def _config_for_checkpoint(cls, config: LightningIRConfig) -> LightningIRConfig:
        """The config to build for a plain checkpoint (``config.backbone_config`` set); subclasses may pick another.

        Cross-encoders use this to keep the trained head of a sequence-classification checkpoint.
        """
        return config

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls: type[ModelT],
        pretrained_model_name_or_path: str | Path,
        *args: Any,
        config: LightningIRConfig | None = None,
        **kwargs: Any,
    ) -> ModelT:
        """Load a saved Lightning IR model, or a plain backbone with freshly initialised heads.

        Args:
            pretrained_model_name_or_path: A local directory or a Hugging Face hub id.
            *args: Passed to the Hugging Face loader of a saved model.
            config: Optional config. For a plain backbone it sets the model's hyperparameters; for a saved model the
                values it sets explicitly (those differing from its class defaults) override the saved ones.
            **kwargs: Passed to the Hugging Face loaders (``revision``, ``dtype``, ...).

        Returns:
            The model, in evaluation mode.

        Raises:
            FileNotFoundError: If the name looks like a local path but there is no such directory.
            NotADirectoryError: If the name is a file rather than a model folder.
            ValueError: If a weight file is empty or truncated (naming it), or the backbone is an encoder-decoder.
        """
        owner = f"{cls.__name__}.from_pretrained"
        path = check_model_path(pretrained_model_name_or_path, owner, "pretrained_model_name_or_path")
        hub_kwargs: dict[str, Any] = {
            k: kwargs[k] for k in ("revision", "cache_dir", "local_files_only", "token") if k in kwargs
        }
        detected = cls._detected_config(path, hub_kwargs) if config is None else None
        if detected is not None:
            return cls._model_class_for(detected).from_pretrained(path, *args, config=detected, **kwargs)
        loaded = AutoConfig.from_pretrained(path, **hub_kwargs)
        if isinstance(loaded, LightningIRConfig):
            merged = _merge_configs(loaded, config)
            model_class = cls._model_class_for(merged)
            with naming_damaged_files(path, owner, WEIGHT_FILES):
                model = super(LightningIRModel, model_class).from_pretrained(path, *args, config=merged, **kwargs)
            files = CheckpointFiles(path, hub_kwargs)
            adapter_config = files.file(f"{ADAPTER_DIR}/adapter_config.json")
            if adapter_config is not None:
                for name in ADAPTER_FILES[1:]:  # a hub id: fetch the others into the same cache folder
                    files.file(f"{ADAPTER_DIR}/{name}")
                load_adapter(model, adapter_config.parent)
            return model
        config = copy.deepcopy(config) if config is not None else cls.config_class()
        config.backbone_config = loaded
        config = cls._config_for_checkpoint(config)
        model = cls._model_class_for(config)(config)
        with naming_damaged_files(path, owner, WEIGHT_FILES):
            model._load_pretrained_backbone(path, **kwargs)
        model.config.name_or_path = path
        return model.eval()


def _merge_configs(saved: LightningIRConfig, given: LightningIRConfig | None) -> LightningIRConfig:
    """The saved config, or ``given`` completed by the saved values it does not set explicitly.

    When the saved config is of a subclass of ``given``'s class (e.g. a sequence-classification cross-encoder given a
    :class:`~lightning_ir.cross_encoder.CrossEncoderConfig`), the saved class is kept, so the saved weights fit.
    """
    if given is None:
        return saved
    config_class = type(saved) if isinstance(saved, type(given)) else type(given)
    values = {k: v for k, v in saved.to_added_args_dict().items() if k in config_class.ADDED_ARGS}
    explicit = given.to_diff_dict()
    values.update({k: v for k, v in given.to_added_args_dict().items() if k in explicit})
    merged = config_class(**values)
    merged.backbone_config = saved.backbone_config
    return merged
