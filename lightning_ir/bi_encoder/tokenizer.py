"""Tokenizer of bi-encoder models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self, cast

import torch
from transformers import BatchEncoding, PreTrainedTokenizerBase

from ..base.config import LightningIRConfig
from ..base.tokenizer import LightningIRTokenizer
from .config import BiEncoderConfig
from .sentence_transformers_router import tokenizer_dir


class BiEncoderTokenizer(LightningIRTokenizer):
    """Tokenises queries and documents separately, each truncated to its own length.

    Optionally inserts a marker token (``[QUE]`` / ``[DOC]``) after the first token, and expands inputs by padding
    them with [MASK] tokens to the full length (ColBERT-style query augmentation).

    Args:
        query_token: Marker token inserted into queries.
        doc_token: Marker token inserted into documents.
        query_expansion: Pad queries with [MASK] tokens to ``query_length``.
        query_length: Maximum number of tokens of a query.
        attend_to_query_expanded_tokens: Whether the attention mask covers the query's [MASK] tokens.
        doc_expansion: Pad documents with [MASK] tokens to ``doc_length``.
        doc_length: Maximum number of tokens of a document.
        attend_to_doc_expanded_tokens: Whether the attention mask covers the document's [MASK] tokens.
        add_marker_tokens: Insert the marker tokens (they are added to the vocabulary).
        tokenizer: The backbone's Hugging Face tokenizer.
    """

    config_class: ClassVar[type[BiEncoderConfig]] = BiEncoderConfig

    def __init__(
        self,
        query_token: str = "[QUE]",
        doc_token: str = "[DOC]",
        query_expansion: bool = False,
        query_length: int = 32,
        attend_to_query_expanded_tokens: bool = False,
        doc_expansion: bool = False,
        doc_length: int = 512,
        attend_to_doc_expanded_tokens: bool = False,
        add_marker_tokens: bool = True,
        tokenizer: PreTrainedTokenizerBase | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(query_length=query_length, doc_length=doc_length, tokenizer=tokenizer, **kwargs)
        self.query_token = query_token
        self.doc_token = doc_token
        self.query_expansion = query_expansion
        self.attend_to_query_expanded_tokens = attend_to_query_expanded_tokens
        self.doc_expansion = doc_expansion
        self.attend_to_doc_expanded_tokens = attend_to_doc_expanded_tokens
        self.add_marker_tokens = add_marker_tokens
        if add_marker_tokens:
            self.tokenizer.add_tokens([query_token, doc_token], special_tokens=True)
        if (query_expansion or doc_expansion) and self.tokenizer.mask_token_id is None:
            raise ValueError(f"{type(self).__name__}: expansion needs a [MASK] token, the backbone tokenizer has none")
        self._check_room_for_text()

    def _check_room_for_text(self) -> None:
        """Refuse lengths that leave no token for the text after the special and marker tokens.

        Hugging Face tokenizers silently stop truncating when ``max_length`` is below their special tokens, so such a
        length would not be a limit at all.
        """
        num_fixed = self.tokenizer.num_special_tokens_to_add() + (1 if self.add_marker_tokens else 0)
        for option in ("query_length", "doc_length"):
            value = getattr(self, option)
            if value <= num_fixed:
                markers = " and the marker token" if self.add_marker_tokens else ""
                raise ValueError(
                    f"{type(self).__name__}: {option}={value} leaves no room for text after the backbone tokenizer's "
                    f"{self.tokenizer.num_special_tokens_to_add()} special tokens{markers}; it must be at least "
                    f"{num_fixed + 1}"
                )

    @classmethod
    def from_pretrained(
        cls, model_name_or_path: str | Path, *args: Any, config: LightningIRConfig | None = None, **kwargs: Any
    ) -> Self:
        """Load as :meth:`LightningIRTokenizer.from_pretrained`, from a module's subfolder where needed.

        A local sentence-transformers folder that keeps its tokenizer in a module's subfolder (a Router's query route,
        an old ``0_Transformer``) is read from there.
        """
        directory = Path(model_name_or_path).expanduser()
        source = tokenizer_dir(directory) if directory.is_dir() else None
        return super().from_pretrained(model_name_or_path if source is None else source, *args, config=config, **kwargs)

    def tokenizer_args(self) -> dict[str, Any]:
        """The ranking settings saved with the tokenizer, including the query and document marker tokens."""
        args = super().tokenizer_args()
        args.update(query_token=self.query_token, doc_token=self.doc_token)
        return args

    def tokenize_query(self, queries: str | Sequence[str], **kwargs: Any) -> BatchEncoding:
        """Tokenise queries: ``input_ids`` and ``attention_mask`` of shape ``(num_queries, seq)``."""
        return self._tokenize_side(queries, "query", **kwargs)

    def tokenize_doc(self, docs: str | Sequence[str], **kwargs: Any) -> BatchEncoding:
        """Tokenise documents: ``input_ids`` and ``attention_mask`` of shape ``(num_docs, seq)``."""
        return self._tokenize_side(docs, "doc", **kwargs)

    def tokenize(
        self,
        queries: str | Sequence[str] | None = None,
        docs: str | Sequence[str] | Sequence[Sequence[str]] | None = None,
        num_docs: Sequence[int] | int | None = None,
        **kwargs: Any,
    ) -> dict[str, BatchEncoding]:
        """Tokenise queries and/or documents.

        Args:
            queries: One query or a list.
            docs: One document, a flat list, or a list of lists (documents per query; flattened in order).
            num_docs: Unused (documents are tokenised independently of their query); accepted for a uniform API.
            **kwargs: Passed to :meth:`tokenize_query` and :meth:`tokenize_doc`.

        Returns:
            ``{"query_encoding": ...}`` and/or ``{"doc_encoding": ...}``.
        """
        encodings: dict[str, BatchEncoding] = {}
        if queries is not None:
            encodings["query_encoding"] = self.tokenize_query(queries, **kwargs)
        if docs is not None:
            encodings["doc_encoding"] = self.tokenize_doc(_flatten(docs), **kwargs)
        return encodings

    def _tokenize_side(self, texts: str | Sequence[str], side: str, **kwargs: Any) -> BatchEncoding:
        texts = [texts] if isinstance(texts, str) else list(texts)
        length = self.query_length if side == "query" else self.doc_length
        expansion = self.query_expansion if side == "query" else self.doc_expansion
        marker = self.query_token if side == "query" else self.doc_token
        num_special = 1 if self.add_marker_tokens else 0
        kwargs.pop("return_tensors", None)
        if expansion:
            kwargs["padding"] = "max_length"
        encoding = self._encode(texts, length - num_special, **kwargs)
        if self.add_marker_tokens:
            encoding = self._insert_marker(encoding, cast(int, self.tokenizer.convert_tokens_to_ids(marker)))
        if expansion:
            attend = self.attend_to_query_expanded_tokens if side == "query" else self.attend_to_doc_expanded_tokens
            encoding = self._expand(encoding, attend)
        return encoding

    @staticmethod
    def _insert_marker(encoding: BatchEncoding, marker_id: int) -> BatchEncoding:
        """Insert ``marker_id`` after the first token of every sequence."""
        data = {}
        for key, value in encoding.items():
            fill = marker_id if key == "input_ids" else (1 if key == "attention_mask" else 0)
            column = torch.full((value.shape[0], 1), fill, dtype=value.dtype)
            data[key] = torch.cat([value[:, :1], column, value[:, 1:]], dim=1)
        return BatchEncoding(data)

    def _expand(self, encoding: BatchEncoding, attend: bool) -> BatchEncoding:
        """Replace padding by [MASK] tokens; attend to them only if ``attend``."""
        input_ids = encoding["input_ids"]
        padding = encoding["attention_mask"] == 0
        encoding["input_ids"] = input_ids.masked_fill(padding, self.tokenizer.mask_token_id)
        if attend:
            encoding["attention_mask"] = torch.ones_like(encoding["attention_mask"])
        return encoding


def _flatten(docs: str | Sequence[str] | Sequence[Sequence[str]]) -> list[str]:
    if isinstance(docs, str):
        return [docs]
    flat: list[str] = []
    for doc in docs:
        if isinstance(doc, str):
            flat.append(doc)
        else:
            flat.extend(doc)
    return flat
