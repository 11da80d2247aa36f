"""Configuration of a BM25 index: the scoring variant, its parameters and the tokenisation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from ...options import BM25Method
from ...validation import check_option
from ..base.retrieve_config import RetrieveConfig


@dataclass(frozen=True)
class BM25IndexConfig(RetrieveConfig):
    r"""A BM25 index built with bm25s: scores of every (term, document) pair computed at indexing time.

    Documents and queries are tokenised alike: lower-cased (``lower``), split into words of two or more letters or
    digits (bm25s' pattern ``(?u)\b\w\w+\b``), stop words dropped, then stemmed. The settings are stored with the
    index, so that :class:`~lightning_ir.retrieve.bm25.searcher.BM25Searcher` tokenises queries the same way.

    The defaults are bm25s' own (``bm25s.BM25()`` and ``bm25s.tokenize``): Lucene's BM25 with ``k1=1.5``,
    ``b=0.75``, English stop words and no stemming (BEIR SciFact test: nDCG@10 0.6617, R@100 0.8759).
    ``stemmer="english"`` gives 0.6863 / 0.9127 there.

    Args:
        method: The BM25 variant: ``lucene`` (default), ``robertson``, ``atire``, ``bm25l`` or ``bm25+``.
        k1: Term-frequency saturation (>= 0).
        b: Document-length normalisation, in [0, 1].
        delta: The lower bound added to term frequencies by ``bm25l`` and ``bm25+`` (ignored by the others).
        stemmer: A PyStemmer language (``"english"``, ``"german"``, ...) or None for no stemming.
        stopwords: A bm25s stop-word language (``"en"``, ``"de"``, ``"fr"``, ... or ``"english"``, ...), a list of
            stop words, or None to keep every word.
        lower: Lower-case texts before splitting them.

    Raises:
        ValueError: On an unknown method or a parameter out of range. Unknown stemmer or stop-word languages are
            refused when the indexer is created, before any document is read.
    """

    method: BM25Method = "lucene"
    k1: float = 1.5
    b: float = 0.75
    delta: float = 0.5
    stemmer: str | None = None
    stopwords: str | Sequence[str] | None = "en"
    lower: bool = True

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_option(owner, "method", self.method, BM25Method)
        for name, low, high in (("k1", 0.0, math.inf), ("b", 0.0, 1.0), ("delta", 0.0, math.inf)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ValueError(f"{owner}: {name}={value!r} must be a number in [{low}, {high}]")
            object.__setattr__(self, name, float(value))
        if self.stemmer is not None and (not isinstance(self.stemmer, str) or not self.stemmer.strip()):
            raise ValueError(f"{owner}: stemmer={self.stemmer!r} must be a PyStemmer language name or None")
        if self.stopwords is not None and not isinstance(self.stopwords, str):
            words = tuple(self.stopwords)
            if not all(isinstance(word, str) for word in words):
                raise ValueError(f"{owner}: stopwords must be a language name, a list of words or None")
            object.__setattr__(self, "stopwords", words)
        if not isinstance(self.lower, bool):
            raise ValueError(f"{owner}: lower={self.lower!r} must be true or false")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BM25IndexConfig:
        """Builds the configuration from :meth:`to_dict`'s output (as stored in an index's ``config.json``).

        Raises:
            ValueError: On unknown keys or invalid values.
        """
        names = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - names - {"class"})
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown parameters {unknown}")
        return cls(**{name: value for name, value in data.items() if name in names})
