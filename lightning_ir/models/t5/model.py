"""T5 re-rankers: monoT5 and RankT5 on the first decoder step, and the encoder-only RankT5."""

from __future__ import annotations

from typing import Any, ClassVar, cast

import torch
from transformers import AutoTokenizer, BatchEncoding, PretrainedConfig, PreTrainedModel
from transformers.models.auto.modeling_auto import (
    MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING,
    MODEL_FOR_TEXT_ENCODING_MAPPING,
    MODEL_MAPPING,
)

from ...console import quiet_transformers_loading, warn_missing_weights
from ...cross_encoder.model import CrossEncoderModel, CrossEncoderOutput
from ...precision import float32_linear
from .config import T5CrossEncoderConfig
from .layouts import load_dense_head
from .tokenizer import HUB_KEYS, check_sentencepiece_backend

T5_MODEL_TYPES = ("t5", "mt5")
"""The backbone model types a T5 cross-encoder accepts."""


def _check_t5_backbone(config: PretrainedConfig) -> None:
    if config.model_type not in T5_MODEL_TYPES:
        raise ValueError(
            f"T5CrossEncoderModel: the backbone's model type {config.model_type!r} is not a T5 model "
            f"({', '.join(T5_MODEL_TYPES)}); use CrossEncoderConfig for encoder-only backbones"
        )


def _backbone_class(config: PretrainedConfig, encoder_only: bool) -> type[PreTrainedModel]:
    """``T5EncoderModel`` (encoder only) or ``T5Model`` (encoder and decoder, no language-modelling head)."""
    mapping = MODEL_FOR_TEXT_ENCODING_MAPPING if encoder_only else MODEL_MAPPING
    return cast(type[PreTrainedModel], mapping[type(config)])


def _without_lm_head(full: PreTrainedModel) -> PreTrainedModel:
    """The ``T5Model`` made of a loaded ``T5ForConditionalGeneration``'s embedding, encoder and decoder (no copy)."""
    with torch.device("meta"):
        base = _backbone_class(full.config, encoder_only=False)(full.config)
    for name in ("shared", "encoder", "decoder"):
        setattr(base, name, getattr(full, name))
    return base


class T5CrossEncoderModel(CrossEncoderModel):
    """monoT5, RankT5 and the encoder-only RankT5 (see :class:`T5CrossEncoderConfig`).

    With a decoder, ``backbone`` is a ``T5Model`` (or ``MT5Model``) and ``linear`` holds the rows of the checkpoint's
    language-modelling head for the scoring tokens (``(2, hidden)``: false, true for monoT5; ``(1, hidden)`` for
    RankT5), so the full vocabulary projection is neither kept nor computed (for mT5, whose head has 250k rows, that is
    most of the model's size). The rows are copies: fine-tuning updates them apart from the input embeddings of the
    same tokens, to which the original T5 ties its head. The decoder takes one step from its start
    token; its output is scaled as ``T5ForConditionalGeneration`` scales it before the head (by ``d_model ** -0.5``
    for the original, tied T5) and multiplied with those rows. Encoder-only, ``backbone`` is a ``T5EncoderModel`` and
    the model is a :class:`~lightning_ir.cross_encoder.CrossEncoderModel` (pooling and a dense ``linear`` head).

    Args:
        config: The configuration, with a T5 or mT5 ``backbone_config``.

    Raises:
        ValueError: If the backbone is not a T5 model.
    """

    config_class: type[T5CrossEncoderConfig] = T5CrossEncoderConfig
    config: T5CrossEncoderConfig
    accepts_encoder_decoder_backbone: ClassVar[bool] = True
    """Lets :func:`~lightning_ir.base.backbone.check_encoder_only` pass T5's encoder-decoder backbones."""

    def __init__(self, config: T5CrossEncoderConfig, *args: Any, **kwargs: Any) -> None:
        if config.backbone_config is not None:
            _check_t5_backbone(config.backbone_config)
        super(CrossEncoderModel, self).__init__(config, *args, **kwargs)
        outputs = max(len(config.score_tokens), 1)
        self.linear = torch.nn.Linear(self.backbone_config.hidden_size, outputs, bias=config.linear_bias)
        self.post_init()

    @property
    def encoder_only(self) -> bool:
        """Whether the model is the encoder-only RankT5 (no decoder)."""
        return self.config.decoder_strategy is None

    def _build_backbone(self) -> PreTrainedModel:
        return _backbone_class(self.backbone_config, self.encoder_only)(self.backbone_config)

    def _load_pretrained_backbone(self, model_name_or_path: str, **kwargs: Any) -> None:
        """Load a published checkpoint: its encoder (and decoder), and the head rows of the scoring tokens.

        Encoder-only, the dense head of a sentence-transformers folder (``2_Dense``) is loaded when there is one;
        else the head is fresh. With a decoder, the checkpoint is loaded as ``T5ForConditionalGeneration`` (so tied
        and untied heads load as transformers loads them) and the rows of the tokens named by the config are kept.
        """
        hub_kwargs = {key: kwargs[key] for key in HUB_KEYS if key in kwargs}
        if self.encoder_only:
            self.backbone = self._load(_backbone_class(self.backbone_config, True), model_name_or_path, kwargs)
            load_dense_head(self.linear, model_name_or_path, hub_kwargs)
        else:
            full_class = cast(type[PreTrainedModel], MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING[type(self.backbone_config)])
            full = self._load(full_class, model_name_or_path, kwargs)
            token_ids = self._score_token_ids(model_name_or_path, hub_kwargs)
            head = full.get_output_embeddings()
            if not isinstance(head, torch.nn.Linear):
                raise ValueError(f"T5CrossEncoderModel: {model_name_or_path!r} has no language-modelling head")
            with torch.no_grad():
                self.linear.weight.copy_(head.weight[token_ids])
            self.backbone = _without_lm_head(full)
        self.config.backbone_config = self.backbone.config

    def _load(self, model_class: type[PreTrainedModel], path: str, kwargs: dict[str, Any]) -> PreTrainedModel:
        with quiet_transformers_loading():
            loaded = model_class.from_pretrained(path, config=self.backbone_config, output_loading_info=True, **kwargs)
        model, info = cast(tuple[PreTrainedModel, dict[str, Any]], loaded)
        warn_missing_weights(info, path, "T5")
        return model

    def _score_token_ids(self, path: str, hub_kwargs: dict[str, Any]) -> list[int]:
        """The vocabulary ids of the config's scoring tokens in the checkpoint's tokenizer.

        Raises:
            ValueError: If the tokenizer does not have one of them (naming it and the config option).
        """
        check_sentencepiece_backend(path, hub_kwargs, "T5CrossEncoderModel")
        tokenizer = AutoTokenizer.from_pretrained(path, **hub_kwargs)
        vocabulary = tokenizer.get_vocab()
        options = {"mono": ("false_token", "true_token"), "rank": ("score_token",)}[str(self.config.decoder_strategy)]
        ids = []
        for option, token in zip(options, self.config.score_tokens, strict=True):
            if token not in vocabulary:
                raise ValueError(
                    f"T5CrossEncoderModel: the tokenizer of {path!r} has no token {token!r} ({option}); set "
                    f"T5CrossEncoderConfig({option}=...) to the vocabulary entry the model was trained to predict"
                )
            ids.append(int(vocabulary[token]))
        return ids

    @property
    def _decoder_output_scale(self) -> float:
        """The factor ``T5ForConditionalGeneration`` applies to the decoder output before its head."""
        config = self.backbone_config
        return float(config.d_model**-0.5) if getattr(config, "scale_decoder_outputs", False) else 1.0

    def _decoder_start_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        """``(batch, 1)`` decoder start tokens (T5's ``decoder_start_token_id``, by convention its pad token)."""
        config = self.backbone_config
        start = getattr(config, "decoder_start_token_id", None)
        start = config.pad_token_id if start is None else start
        if start is None:
            raise ValueError(
                "T5CrossEncoderModel: the backbone config sets neither decoder_start_token_id nor pad_token_id"
            )
        return torch.full((input_ids.shape[0], 1), int(start), dtype=torch.long, device=input_ids.device)

    def forward(self, encoding: BatchEncoding) -> CrossEncoderOutput:
        """Score tokenised prompts (see :class:`T5CrossEncoderTokenizer`).

        Args:
            encoding: The prompts, ``input_ids`` ``(total_docs, seq)``.

        Returns:
            ``scores`` ``(total_docs,)`` and ``embeddings`` ``(total_docs, 1, hidden)``: the decoder's first output
            (with a decoder) or the pooled encoder output (encoder-only).
        """
        if self.encoder_only:
            return super().forward(encoding)
        decoder_input_ids = self._decoder_start_ids(encoding["input_ids"])
        output = self._backbone_forward(**encoding, decoder_input_ids=decoder_input_ids, use_cache=False)
        embeddings = output.last_hidden_state
        logits = float32_linear(self.linear, embeddings[:, 0] * self._decoder_output_scale)  # scores in float32
        scores = torch.log_softmax(logits, dim=-1)[:, 1] if self.config.decoder_strategy == "mono" else logits[:, 0]
        return CrossEncoderOutput(scores=scores, embeddings=embeddings)
