"""Building and loading the Hugging Face backbone that a Lightning IR model wraps."""

from __future__ import annotations

import inspect
from typing import Any, cast

import torch
from transformers import AutoModelForMaskedLM, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput
from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING, MODEL_MAPPING

from ..console import quiet_transformers_loading, warn_missing_weights


def _init_kwargs(model_class: type[PreTrainedModel]) -> dict[str, Any]:
    """Constructor arguments that drop parts a ranking model never uses (e.g. BERT's pooler)."""
    parameters = inspect.signature(model_class.__init__).parameters
    return {"add_pooling_layer": False} if "add_pooling_layer" in parameters else {}


ENCODER_DECODER_HINT = (
    "T5 re-rankers (monoT5, RankT5) load as cross-encoders with T5CrossEncoderConfig: "
    "CrossEncoderModule(path, config=T5CrossEncoderConfig())"
)
"""Where an encoder-decoder checkpoint given to a bi-encoder or plain cross-encoder belongs (error messages)."""


def check_encoder_only(config: PretrainedConfig, owner: str | type = "lightning_ir") -> None:
    """Refuse an encoder-decoder backbone (T5, BART, ...): bi- and cross-encoders need an encoder-only one.

    Args:
        config: The backbone's config.
        owner: Who builds the model (starts the message): a name, or the model class. A class whose
            ``accepts_encoder_decoder_backbone`` is True (the T5 cross-encoder) passes.

    Raises:
        ValueError: Naming the backbone's model type.
    """
    if isinstance(owner, type) and getattr(owner, "accepts_encoder_decoder_backbone", False):
        return
    if getattr(config, "is_encoder_decoder", False):
        name = owner if isinstance(owner, str) else owner.__name__
        raise ValueError(
            f"{name}: the backbone's model type {config.model_type!r} is an encoder-decoder model; bi-encoders "
            f"and cross-encoders need an encoder-only backbone (BERT, ELECTRA, RoBERTa, DistilBERT, ModernBERT, ...). "
            f"{ENCODER_DECODER_HINT}"
        )


def _encoder_class(config: PretrainedConfig) -> type[PreTrainedModel]:
    check_encoder_only(config)
    if type(config) not in MODEL_MAPPING:
        raise ValueError(f"No Hugging Face AutoModel is registered for backbone model type {config.model_type!r}")
    return cast(type[PreTrainedModel], MODEL_MAPPING[type(config)])


def build_backbone(config: PretrainedConfig) -> PreTrainedModel:
    """A randomly initialised backbone encoder for ``config``."""
    model_class = _encoder_class(config)
    return model_class(config, **_init_kwargs(model_class))


def load_backbone(model_name_or_path: str, config: PretrainedConfig, **kwargs: Any) -> PreTrainedModel:
    """A pretrained backbone encoder (weights read through safetensors or ``torch.load(weights_only=True)``)."""
    model_class = _encoder_class(config)
    with quiet_transformers_loading():
        loaded = model_class.from_pretrained(
            model_name_or_path, config=config, output_loading_info=True, **_init_kwargs(model_class), **kwargs
        )
    model, info = cast(tuple[PreTrainedModel, dict[str, Any]], loaded)
    warn_missing_weights(info, model_name_or_path)
    return model


class _HiddenStatesPassthrough(torch.nn.Module):
    """Stands in for a masked-LM model's encoder: returns the hidden states it is given as ``inputs_embeds``."""

    def forward(self, *args: Any, inputs_embeds: torch.Tensor | None = None, **kwargs: Any) -> BaseModelOutput:
        if inputs_embeds is None:
            raise ValueError("The MLM head expects hidden states passed as inputs_embeds")
        return BaseModelOutput(last_hidden_state=inputs_embeds)


class MLMHead(torch.nn.Module):
    """The language-modelling head of a Hugging Face masked-LM model, applied to contextualised embeddings.

    Works for any architecture with an ``AutoModelForMaskedLM`` class: the masked-LM model is kept whole except that
    its encoder is replaced by a pass-through, so its own head code maps hidden states ``(batch, seq, hidden)`` to
    vocabulary logits ``(batch, seq, vocab)``. The output embedding is an untied copy of the input embedding, and a
    parameter the head shares between two places (BERT's decoder bias) is untied too, so that saving the model stores
    each one and loading the save restores the head as it was.
    """

    def __init__(self, masked_lm: PreTrainedModel) -> None:
        super().__init__()
        setattr(masked_lm, masked_lm.base_model_prefix, _HiddenStatesPassthrough())
        output_embeddings = masked_lm.get_output_embeddings()
        if output_embeddings is not None:
            output_embeddings.weight = torch.nn.Parameter(output_embeddings.weight.detach().clone())
        seen: set[int] = set()
        for module in masked_lm.modules():
            for name, parameter in list(module.named_parameters(recurse=False)):
                if id(parameter) in seen:
                    setattr(module, name, torch.nn.Parameter(parameter.detach().clone()))
                seen.add(id(parameter))
        self.masked_lm = masked_lm

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits ``(batch, seq, vocab)`` for hidden states ``(batch, seq, hidden)``."""
        return self.masked_lm(inputs_embeds=hidden_states).logits


def _split_masked_lm(masked_lm: PreTrainedModel) -> tuple[PreTrainedModel, MLMHead]:
    encoder = getattr(masked_lm, masked_lm.base_model_prefix)
    return encoder, MLMHead(masked_lm)


def build_masked_lm(config: PretrainedConfig) -> tuple[PreTrainedModel, MLMHead]:
    """A randomly initialised encoder and MLM head for ``config``."""
    check_encoder_only(config)
    if type(config) not in MODEL_FOR_MASKED_LM_MAPPING:
        raise ValueError(f"projection='mlm' needs a masked-LM backbone; {config.model_type!r} has none")
    return _split_masked_lm(AutoModelForMaskedLM.from_config(config))


def load_masked_lm(model_name_or_path: str, config: PretrainedConfig, **kwargs: Any) -> tuple[PreTrainedModel, MLMHead]:
    """A pretrained encoder and its pretrained MLM head."""
    check_encoder_only(config)
    with quiet_transformers_loading():
        masked_lm, info = AutoModelForMaskedLM.from_pretrained(
            model_name_or_path, config=config, output_loading_info=True, **kwargs
        )
    warn_missing_weights(info, model_name_or_path, "masked-LM")
    return _split_masked_lm(masked_lm)
