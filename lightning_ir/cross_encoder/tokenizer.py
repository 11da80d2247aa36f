"""Tokenizer of cross-encoder models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from transformers import BatchEncoding, PreTrainedTokenizerBase

from ..base.tokenizer import LightningIRTokenizer
from .config import CrossEncoderConfig


class CrossEncoderTokenizer(LightningIRTokenizer):
    """Tokenises query-document pairs: the query is cut to ``query_length`` tokens, the pair to ``doc_length``.

    The query is shortened on the text (at the end of its ``query_length``-th token, found from the token offsets),
    so each pair is tokenised once.

    Args:
        query_length: Maximum number of tokens of the query part.
        doc_length: Maximum number of tokens of the whole pair.
        tokenizer: The backbone's Hugging Face tokenizer (a fast tokenizer, for the offsets).
    """

    config_class: ClassVar[type[CrossEncoderConfig]] = CrossEncoderConfig

    def __init__(
        self,
        query_length: int = 32,
        doc_length: int = 512,
        tokenizer: PreTrainedTokenizerBase | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(query_length=query_length, doc_length=doc_length, tokenizer=tokenizer, **kwargs)

    def truncate_queries(self, queries: Sequence[str]) -> list[str]:
        """The queries cut after their ``query_length``-th token."""
        encoding = self.tokenizer(
            list(queries), add_special_tokens=False, return_offsets_mapping=True, truncation=False
        )
        truncated = []
        for query, offsets in zip(queries, encoding["offset_mapping"], strict=True):
            if len(offsets) > self.query_length:
                query = query[: offsets[self.query_length - 1][1]]
            truncated.append(query)
        return truncated

    def pairs(
        self,
        queries: str | Sequence[str] | None,
        docs: str | Sequence[str] | Sequence[Sequence[str]] | None,
        num_docs: Sequence[int] | int | None = None,
    ) -> tuple[list[str], list[str]]:
        """The (truncated query, document) text of every pair, in order.

        Args:
            queries: One query or a list.
            docs: A list of lists (documents per query), or a flat list with ``num_docs``.
            num_docs: Documents per query when ``docs`` is flat (an int for all); None splits evenly.

        Returns:
            The query of each pair (cut after ``query_length`` tokens) and the document of each pair.
        """
        if queries is None or docs is None:
            raise ValueError(f"{type(self).__name__}.tokenize needs both queries and docs")
        query_list = [queries] if isinstance(queries, str) else list(queries)
        flat_docs, counts = _flatten_docs(docs, len(query_list), num_docs)
        truncated = self.truncate_queries(query_list)
        return [query for query, count in zip(truncated, counts, strict=True) for _ in range(count)], flat_docs

    def tokenize(
        self,
        queries: str | Sequence[str] | None = None,
        docs: str | Sequence[str] | Sequence[Sequence[str]] | None = None,
        num_docs: Sequence[int] | int | None = None,
        **kwargs: Any,
    ) -> dict[str, BatchEncoding]:
        """Tokenise the pairs of each query with each of its documents.

        Args:
            queries: One query or a list.
            docs: A list of lists (documents per query), or a flat list with ``num_docs``.
            num_docs: Documents per query when ``docs`` is flat (an int for all); None splits evenly.
            **kwargs: Passed to the backbone tokenizer (e.g. ``padding``); ``return_tensors`` is ignored.

        Returns:
            ``{"encoding": ...}`` with ``input_ids`` ``(total_docs, seq)``.
        """
        pair_queries, flat_docs = self.pairs(queries, docs, num_docs)
        kwargs.pop("return_tensors", None)
        encoding = self.tokenizer(
            pair_queries,
            flat_docs,
            truncation="only_second",
            max_length=self.doc_length,
            padding=kwargs.pop("padding", True),
            return_tensors="pt",
            **kwargs,
        )
        return {"encoding": encoding}


def _flatten_docs(
    docs: str | Sequence[str] | Sequence[Sequence[str]], num_queries: int, num_docs: Sequence[int] | int | None
) -> tuple[list[str], list[int]]:
    if isinstance(docs, str):
        docs = [docs]
    if docs and not isinstance(docs[0], str):
        nested = [list(group) for group in docs]
        return [doc for group in nested for doc in group], [len(group) for group in nested]
    flat = [str(doc) for doc in docs]
    if num_docs is None:
        if num_queries == 0 or len(flat) % num_queries:
            raise ValueError(f"Cannot split {len(flat)} documents evenly over {num_queries} queries; pass num_docs")
        num_docs = len(flat) // num_queries
    counts = [num_docs] * num_queries if isinstance(num_docs, int) else list(num_docs)
    if sum(counts) != len(flat) or len(counts) != num_queries:
        raise ValueError(f"num_docs={counts} does not match {num_queries} queries and {len(flat)} documents")
    return flat, counts
