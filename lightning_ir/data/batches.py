"""Batches: what the collator builds from a list of samples and what modules and losses read.

``encodings`` holds the tokenizer's output (``{"query_encoding", "doc_encoding"}`` for bi-encoders, ``{"encoding"}``
for cross-encoders) when tokenisation ran in the DataLoader workers (:class:`LightningIRCollator` with a tokenizer),
else ``None`` and the module tokenises. ``qrels`` is the concatenation of the samples' qrels (dicts with
``query_id``, ``doc_id``, ``iteration``, ``relevance``), or ``None`` when no sample has any. ``positions`` is set
when the batch comes from a length-bucketed dataloader (see :mod:`lightning_ir.data.bucketing`): each item's (or each
query group's) position in its dataset, from which the dataset's order is restored; else ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import BatchEncoding


@dataclass
class RankBatch:
    """Queries with their documents, for re-ranking (and validation).

    Attributes:
        queries: ``batch`` query texts.
        docs: Per query, its document texts (a list of lists; ``total_docs`` documents in all).
        query_ids: ``batch`` query ids.
        doc_ids: Per query, its document ids, shaped like ``docs``.
        qrels: Relevance judgements of the batch's queries.
        encodings: Tokenizer output, see the module docstring.
        positions: Per query, its position in the dataset (length-bucketed batches; a query whose documents are
            spread over several batches has the same position in each), else ``None``.
    """

    queries: list[str]
    docs: list[list[str]]
    query_ids: list[str] | None = None
    doc_ids: list[list[str]] | None = None
    qrels: list[dict[str, Any]] | None = None
    encodings: dict[str, BatchEncoding] | None = None
    positions: list[int] | None = None


@dataclass
class TrainBatch(RankBatch):
    """A :class:`RankBatch` with training targets.

    Attributes:
        targets: ``(total_docs,)`` float, the documents of all queries flattened in query order (like a model's
            ``scores``); higher is more relevant.
    """

    targets: torch.Tensor | None = None


@dataclass
class IndexBatch:
    """Documents to index.

    Attributes:
        doc_ids: ``batch`` document ids.
        docs: ``batch`` document texts.
        encodings: Tokenizer output (``{"doc_encoding"}``), see the module docstring.
        positions: Per document, its position in the dataset (length-bucketed batches), else ``None``.
    """

    doc_ids: list[str]
    docs: list[str]
    encodings: dict[str, BatchEncoding] | None = None
    positions: list[int] | None = None


@dataclass
class SearchBatch:
    """Queries to search for.

    Attributes:
        query_ids: ``batch`` query ids.
        queries: ``batch`` query texts.
        doc_ids: Unused by the data layer (kept for symmetry with :class:`RankBatch`); ``None``.
        qrels: Relevance judgements of the batch's queries.
        encodings: Tokenizer output (``{"query_encoding"}``), see the module docstring.
        positions: Per query, its position in the dataset (length-bucketed batches), else ``None``.
    """

    query_ids: list[str]
    queries: list[str]
    doc_ids: list[list[str]] | None = None
    qrels: list[dict[str, Any]] | None = None
    encodings: dict[str, BatchEncoding] | None = None
    positions: list[int] | None = None
