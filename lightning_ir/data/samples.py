"""Samples: what the datasets yield, one query or one document at a time.

``qrels`` is always a list of dicts ``{"query_id", "doc_id", "iteration", "relevance"}`` (``iteration`` is TREC's
second qrels column, a string; a subtopic id in diversity qrels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class DocSample:
    """One document, for indexing.

    Attributes:
        doc_id: Document id.
        doc: Document text.
    """

    doc_id: str
    doc: str


@dataclass
class QuerySample:
    """One query, for search.

    Attributes:
        query_id: Query id.
        query: Query text.
        qrels: The query's relevance judgements, or ``None`` when the collection has none.
    """

    query_id: str
    query: str
    qrels: list[dict[str, Any]] | None = None


@dataclass
class RankSample:
    """A query with documents to rank, for training and re-ranking.

    Attributes:
        query_id: Query id.
        query: Query text.
        doc_ids: Ids of the query's documents, length ``num_docs``.
        docs: Texts of the query's documents, length ``num_docs``.
        targets: ``(num_docs,)`` float, higher is more relevant; ``None`` when the sample has no training targets.
        qrels: The query's relevance judgements, or ``None``.
    """

    query_id: str
    query: str
    doc_ids: Sequence[str]
    docs: Sequence[str]
    targets: torch.Tensor | None = None
    qrels: list[dict[str, Any]] | None = None
