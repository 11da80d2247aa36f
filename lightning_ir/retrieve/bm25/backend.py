"""Lazy imports of the optional BM25 backend (bm25s, PyStemmer) and the tokenizer built from a configuration."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .index_config import BM25IndexConfig

INSTALL_HINT = "pip install 'lightning-ir[bm25]'"


def import_bm25s() -> ModuleType:
    """Imports bm25s, or raises an ImportError that says how to install it."""
    try:
        import bm25s
    except ImportError as error:
        raise ImportError(f"BM25 indexes need the bm25s package: {INSTALL_HINT}") from error
    return bm25s


def make_stemmer(language: str | None) -> Any:
    """A PyStemmer stemmer for ``language`` (None: no stemming).

    Raises:
        ImportError: PyStemmer is not installed (names the extra to install).
        ValueError: PyStemmer has no stemmer for ``language`` (lists the languages it has).
    """
    if language is None:
        return None
    try:
        import Stemmer
    except ImportError as error:
        raise ImportError(f"BM25 stemming needs the PyStemmer package: {INSTALL_HINT}") from error
    try:
        return Stemmer.Stemmer(language)
    except KeyError as error:
        languages = ", ".join(sorted(Stemmer.algorithms()))
        message = f"BM25IndexConfig: stemmer {language!r} is not a PyStemmer language; one of {languages}"
        raise ValueError(message) from error


def make_tokenizer(config: BM25IndexConfig) -> Any:
    """A fresh bm25s ``Tokenizer`` with the lower-casing, stop words and stemmer of ``config``.

    Documents and queries are tokenised by tokenizers built from the same configuration, so they share the rules.

    Raises:
        ImportError: bm25s or PyStemmer is missing.
        ValueError: Unknown stop-word language or stemmer language.
    """
    bm25s = import_bm25s()
    stemmer = make_stemmer(config.stemmer)
    stopwords = list(config.stopwords) if isinstance(config.stopwords, tuple) else config.stopwords
    try:
        return bm25s.tokenization.Tokenizer(lower=config.lower, stopwords=stopwords, stemmer=stemmer)
    except ValueError as error:
        raise ValueError(f"BM25IndexConfig: stopwords={config.stopwords!r}: {error}") from error
