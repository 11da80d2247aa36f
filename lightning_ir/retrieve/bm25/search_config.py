"""Configuration of BM25 search."""

from __future__ import annotations

from dataclasses import dataclass

from ...options import BM25Backend
from ...validation import check_option, check_positive
from ..base.retrieve_config import RetrieveConfig


@dataclass(frozen=True)
class BM25SearchConfig(RetrieveConfig):
    """Search over a BM25 index (:class:`~lightning_ir.retrieve.bm25.index_config.BM25IndexConfig`).

    Like bm25s, a query's ``k`` results are its ``k`` highest-scoring documents even where fewer documents share a
    term with the query (the rest then score 0, or the ``bm25l``/``bm25+`` floor).

    Args:
        k: Number of documents to retrieve per query (at most the number of indexed documents are returned).
        backend: ``numpy`` (bm25s' default) or ``numba`` (compiled, faster on large collections; needs numba).
    """

    k: int = 100
    backend: BM25Backend = "numpy"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        object.__setattr__(self, "k", check_positive(owner, "k", self.k))
        check_option(owner, "backend", self.backend, BM25Backend)
