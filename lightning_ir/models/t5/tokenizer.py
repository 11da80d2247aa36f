"""Tokenizer of the T5 re-rankers: query and document written into the model's prompt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from transformers import BatchEncoding, PreTrainedTokenizerBase
from transformers.utils import is_protobuf_available, is_sentencepiece_available

from ...base.config import LightningIRConfig
from ...base.layouts import CheckpointFiles
from ...cross_encoder.tokenizer import CrossEncoderTokenizer
from ...options import T5DecoderStrategy
from ...validation import check_option
from .config import T5CrossEncoderConfig, t5_prompt

TokenizerT = TypeVar("TokenizerT", bound="T5CrossEncoderTokenizer")

HUB_KEYS = ("revision", "cache_dir", "local_files_only", "token")
"""The ``from_pretrained`` arguments that locate a checkpoint's files on the Hugging Face hub."""


def check_sentencepiece_backend(model_name_or_path: str, hub_kwargs: Mapping[str, Any], owner: str) -> None:
    """Refuse, naming the extra to install, a checkpoint whose tokenizer is only a SentencePiece ``spiece.model``.

    Reading such a file (the original T5 checkpoints and many monoT5 ones ship no ``tokenizer.json``) needs the
    sentencepiece and protobuf packages; without them transformers falls back to an unrelated reader and its error
    names tiktoken.

    Raises:
        ImportError: If the checkpoint has ``spiece.model`` but no ``tokenizer.json`` and a package is missing.
    """
    if is_sentencepiece_available() and is_protobuf_available():
        return
    files = CheckpointFiles(model_name_or_path, hub_kwargs)
    if files.file("tokenizer.json") is None and files.file("spiece.model") is not None:
        raise ImportError(
            f"{owner}: the tokenizer of {model_name_or_path!r} is a SentencePiece model (spiece.model, no "
            "tokenizer.json); reading it needs sentencepiece and protobuf: pip install 'lightning-ir[t5]'"
        )


class T5CrossEncoderTokenizer(CrossEncoderTokenizer):
    """Writes each query-document pair into the prompt of monoT5 or RankT5 and tokenises it as one text.

    The query is cut to ``query_length`` tokens; the document is cut so that the whole input, prompt words and the
    closing ``</s>`` included, fits ``doc_length`` tokens, so monoT5's closing ``Relevant:`` is kept (unless the query
    alone leaves no room; then the end of the input is cut). Inputs
    that fit are tokenised exactly as ``tokenizer(prompt.format(query=q, doc=d))``, as the reference code does.

    Args:
        query_length: Maximum number of tokens of the query.
        doc_length: Maximum number of tokens of the whole input.
        decoder_strategy: ``"mono"`` (prompt ``Query: {q} Document: {d} Relevant:``), ``"rank"`` or None
            (``Query: {q} Document: {d}``); see :class:`T5CrossEncoderConfig`.
        tokenizer: The T5 (SentencePiece) tokenizer of the checkpoint (a fast tokenizer, for the offsets).
    """

    config_class: ClassVar[type[T5CrossEncoderConfig]] = T5CrossEncoderConfig

    def __init__(
        self,
        query_length: int = 32,
        doc_length: int = 512,
        decoder_strategy: T5DecoderStrategy | None = "mono",
        tokenizer: PreTrainedTokenizerBase | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(query_length=query_length, doc_length=doc_length, tokenizer=tokenizer, **kwargs)
        check_option(type(self).__name__, "decoder_strategy", decoder_strategy, T5DecoderStrategy | None)
        self.decoder_strategy = decoder_strategy

    @property
    def prompt(self) -> str:
        """The input text template, with ``{query}`` and ``{doc}`` fields."""
        return t5_prompt(self.decoder_strategy)

    @classmethod
    def from_pretrained(
        cls: type[TokenizerT],
        model_name_or_path: str | Path,
        *args: Any,
        config: LightningIRConfig | None = None,
        **kwargs: Any,
    ) -> TokenizerT:
        """Load the tokenizer (see :meth:`LightningIRTokenizer.from_pretrained`).

        Raises:
            ImportError: If the checkpoint's tokenizer is only a ``spiece.model`` and sentencepiece or protobuf is
                missing (naming the ``t5`` extra).
        """
        hub_kwargs = {key: kwargs[key] for key in HUB_KEYS if key in kwargs}
        check_sentencepiece_backend(str(model_name_or_path), hub_kwargs, f"{cls.__name__}.from_pretrained")
        return super().from_pretrained(model_name_or_path, *args, config=config, **kwargs)

    def _doc_budgets(self, heads: list[str], tail: str) -> list[int]:
        """How many document tokens fit beside each pair's prompt text (``heads``) and the closing ``tail``."""
        lengths = [len(ids) for ids in self.tokenizer(heads, add_special_tokens=False)["input_ids"]]
        tail_length = len(self.tokenizer(tail, add_special_tokens=False)["input_ids"]) if tail.strip() else 0
        reserved = tail_length + self.tokenizer.num_special_tokens_to_add(pair=False)
        return [max(self.doc_length - length - reserved, 0) for length in lengths]

    def truncate_docs(self, heads: list[str], docs: list[str], tail: str) -> list[str]:
        """The documents cut after as many tokens as fit beside their prompt text."""
        budgets = self._doc_budgets(heads, tail)
        encoding = self.tokenizer(docs, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
        truncated = []
        for doc, offsets, budget in zip(docs, encoding["offset_mapping"], budgets, strict=True):
            if len(offsets) > budget:
                doc = doc[: offsets[budget - 1][1]] if budget > 0 else ""
            truncated.append(doc)
        return truncated

    def tokenize(
        self,
        queries: str | Sequence[str] | None = None,
        docs: str | Sequence[str] | Sequence[Sequence[str]] | None = None,
        num_docs: Sequence[int] | int | None = None,
        **kwargs: Any,
    ) -> dict[str, BatchEncoding]:
        """Tokenise the prompt of each query with each of its documents.

        Args:
            queries: One query or a list.
            docs: A list of lists (documents per query), or a flat list with ``num_docs``.
            num_docs: Documents per query when ``docs`` is flat (an int for all); None splits evenly.
            **kwargs: Passed to the backbone tokenizer (e.g. ``padding``); ``return_tensors`` is ignored.

        Returns:
            ``{"encoding": ...}`` with ``input_ids`` ``(total_docs, seq)``, ``seq <= doc_length``.
        """
        pair_queries, flat_docs = self.pairs(queries, docs, num_docs)
        head, tail = self.prompt.split("{doc}")
        heads = [head.format(query=query) for query in pair_queries]
        cut_docs = self.truncate_docs(heads, flat_docs, tail)
        texts = [self.prompt.format(query=query, doc=doc) for query, doc in zip(pair_queries, cut_docs, strict=True)]
        kwargs.pop("return_tensors", None)
        encoding = self.tokenizer(
            texts,
            truncation=True,
            max_length=self.doc_length,
            padding=kwargs.pop("padding", True),
            return_tensors="pt",
            **kwargs,
        )
        return {"encoding": encoding}
