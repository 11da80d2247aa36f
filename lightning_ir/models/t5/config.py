"""Configuration of the T5 re-rankers: monoT5, RankT5 and the encoder-only RankT5."""

from __future__ import annotations

from typing import Any, ClassVar

from ...cross_encoder.config import CrossEncoderConfig
from ...options import PoolingStrategy, T5DecoderStrategy
from ...validation import check_option

MONO_PROMPT = "Query: {query} Document: {doc} Relevant:"
"""The input text of monoT5 (Nogueira et al., 2020; castorini's pygaggle ``T5BatchTokenizer``)."""

RANK_PROMPT = "Query: {query} Document: {doc}"
"""The input text of RankT5 (Zhuang et al., 2023), encoder-decoder and encoder-only alike."""


def t5_prompt(decoder_strategy: T5DecoderStrategy | None) -> str:
    """The input text template of a decoder strategy, with ``{query}`` and ``{doc}`` fields."""
    return MONO_PROMPT if decoder_strategy == "mono" else RANK_PROMPT


class T5CrossEncoderConfig(CrossEncoderConfig):
    """A cross-encoder on a T5 (or mT5) backbone, scoring as monoT5 or RankT5 do.

    ``decoder_strategy`` picks the model:

    - ``"mono"`` (monoT5, Nogueira et al., 2020): the input is ``Query: {q} Document: {d} Relevant:``; the decoder
      takes one step from its start token and the score is the log-probability of ``true_token`` against
      ``false_token`` (the log-softmax over those two logits), as castorini's pygaggle ``MonoT5`` scores. It ranks as
      the probability of "true" does and lies in ``(-inf, 0]``.
    - ``"rank"`` (RankT5 encoder-decoder, Zhuang et al., 2023): the input is ``Query: {q} Document: {d}``; the score
      is the logit of ``score_token`` at the first decoder step.
    - None (RankT5 encoder-only): the same input; the encoder's token embeddings are pooled (``pooling_strategy``)
      and a dense layer (``linear``, with a bias if ``linear_bias``) gives the score. No decoder is loaded.

    The tokens are looked up in the checkpoint's tokenizer when a published checkpoint is loaded; their rows of the
    checkpoint's language-modelling head become the model's ``linear`` head, so a saved model no longer needs them.

    Args:
        query_length: Maximum number of tokens of the query.
        doc_length: Maximum number of tokens of the whole input (prompt, query and document; the document is cut).
        decoder_strategy: ``"mono"``, ``"rank"``, or None for the encoder-only model.
        true_token: The vocabulary entry whose probability monoT5 scores (``"▁yes"`` for the mT5 monoT5 models).
        false_token: The vocabulary entry monoT5 weighs it against (``"▁no"`` for the mT5 monoT5 models).
        score_token: The vocabulary entry whose logit RankT5 scores.
        pooling_strategy: Pooling of the encoder-only model (``"first"`` or ``"mean"``, ...); must stay ``"first"``
            (unused) with a decoder.
        linear_bias: Whether the encoder-only model's dense layer has a bias; must stay False with a decoder (a
            language-modelling head has none).
        **kwargs: Hugging Face config arguments.

    Raises:
        ValueError: For an unknown ``decoder_strategy`` or pooling strategy, an empty token, or an encoder-only option
            set for a model with a decoder.
    """

    model_type = "t5-cross-encoder"
    TOKENIZER_ARGS: ClassVar[set[str]] = CrossEncoderConfig.TOKENIZER_ARGS | {"decoder_strategy"}

    def __init__(
        self,
        query_length: int = 32,
        doc_length: int = 512,
        decoder_strategy: T5DecoderStrategy | None = "mono",
        true_token: str = "▁true",
        false_token: str = "▁false",
        score_token: str = "<extra_id_10>",
        pooling_strategy: PoolingStrategy = "first",
        linear_bias: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            query_length=query_length,
            doc_length=doc_length,
            pooling_strategy=pooling_strategy,
            linear_bias=linear_bias,
            **kwargs,
        )
        owner = type(self).__name__
        check_option(owner, "decoder_strategy", decoder_strategy, T5DecoderStrategy | None)
        for option, token in (("true_token", true_token), ("false_token", false_token), ("score_token", score_token)):
            if not isinstance(token, str) or not token:
                raise ValueError(f"{owner}: {option} must be a non-empty vocabulary entry; got {token!r}")
        if decoder_strategy is not None and (pooling_strategy != "first" or linear_bias):
            raise ValueError(
                f"{owner}: pooling_strategy and linear_bias belong to the encoder-only model (decoder_strategy=None); "
                f"with decoder_strategy={decoder_strategy!r} the decoder's first step scores"
            )
        self.decoder_strategy = decoder_strategy
        self.true_token = true_token
        self.false_token = false_token
        self.score_token = score_token

    @property
    def prompt(self) -> str:
        """The input text template, with ``{query}`` and ``{doc}`` fields."""
        return t5_prompt(self.decoder_strategy)

    @property
    def score_tokens(self) -> list[str]:
        """The tokens whose head rows score: ``[false_token, true_token]`` (mono), ``[score_token]`` (rank), or none."""
        if self.decoder_strategy == "mono":
            return [self.false_token, self.true_token]
        if self.decoder_strategy == "rank":
            return [self.score_token]
        return []
