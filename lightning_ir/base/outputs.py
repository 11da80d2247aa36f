"""Outputs of every Lightning IR model and module step, and the per-query rankings they carry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import torch
from transformers.utils import ModelOutput


@dataclass
class Ranking:
    """One query's documents with their scores.

    Attributes:
        query_id: The query's id.
        doc_ids: ``n`` document ids.
        scores: ``(n,)`` float scores, one per document of ``doc_ids`` (higher is better); search results come best
            first, re-ranked documents in the order they were given.
    """

    query_id: str
    doc_ids: list[str]
    scores: torch.Tensor


@dataclass
class LightningIROutput(ModelOutput):
    """Scores of query-document pairs.

    Attributes:
        scores: Relevance scores, ``(total_docs,)``: the documents of all queries flattened in query order. In-batch
            scoring gives ``(num_queries, total_docs)`` instead.
        rankings: Per query, its scored documents (keyword-only; set by the module's search and re-rank steps, which
            is what metrics and run files are made from), else None.
    """

    scores: torch.Tensor | None = None
    rankings: list[Ranking] | None = field(default=None, kw_only=True)

    def __reduce__(self) -> tuple[Any, ...]:
        """Copy and pickle by field name.

        transformers' ``ModelOutput`` passes fields positionally, which a keyword-only field does not take.
        """
        return _rebuild_output, (type(self), {f.name: getattr(self, f.name) for f in fields(self)})


def _rebuild_output(output_class: type[LightningIROutput], values: dict[str, Any]) -> LightningIROutput:
    return output_class(**values)


def split_rankings(query_ids: Sequence[str], doc_ids: Sequence[Sequence[str]], scores: torch.Tensor) -> list[Ranking]:
    """Splits flat scores ``(total_docs,)`` (the documents of all queries in query order) into per-query rankings.

    Raises:
        ValueError: If the number of scores does not match the number of documents.
    """
    flat = scores.detach().reshape(-1)
    sizes = [len(ids) for ids in doc_ids]
    if len(query_ids) != len(sizes) or flat.numel() != sum(sizes):
        raise ValueError(
            f"{flat.numel()} scores for {len(query_ids)} queries with {sum(sizes)} documents: cannot split them into "
            "rankings"
        )
    parts = torch.split(flat, sizes) if sizes else ()
    return [
        Ranking(str(query_id), [str(doc_id) for doc_id in ids], part)
        for query_id, ids, part in zip(query_ids, doc_ids, parts, strict=True)
    ]
