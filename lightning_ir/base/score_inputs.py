"""Reading the ``queries`` and ``docs`` arguments of ``LightningIRModule.score``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


def score_lists(
    owner: str, queries: str | Sequence[str], docs: str | Sequence[str] | Sequence[Sequence[str]]
) -> tuple[list[str], list[list[str]]]:
    """The queries and one list of documents per query.

    Args:
        owner: Who scores (starts the error messages).
        queries: One query or a list (possibly empty).
        docs: For one query, a document or a list of documents (possibly empty); for any number of queries, a list
            of lists, one per query (each possibly empty).

    Returns:
        The list of queries and the list of their document lists, of the same length.

    Raises:
        ValueError: If the number of document lists is not the number of queries, or ``docs`` mixes documents and
            lists of documents.
    """
    query_list = [queries] if isinstance(queries, str) else list(queries)
    doc_items = [docs] if isinstance(docs, str) else list(docs)
    if all(isinstance(doc, str) for doc in doc_items) and (doc_items or len(query_list) == 1):
        doc_lists = [[str(doc) for doc in doc_items]]
    elif any(isinstance(group, str) for group in doc_items):
        raise ValueError(f"{owner}.score: docs mixes documents and lists of documents; pass one list per query")
    else:
        doc_lists = [list(group) for group in doc_items]
    if len(doc_lists) != len(query_list):
        raise ValueError(
            f"{owner}.score: {len(query_list)} queries but {len(doc_lists)} lists of documents; pass one list of "
            "documents per query"
        )
    return query_list, doc_lists


class ScoreBatch:
    """The minimal batch :meth:`LightningIRModule.score` builds (queries and a list of documents per query)."""

    def __init__(self, queries: list[str], docs: list[list[str]]) -> None:
        self.queries = queries
        self.docs = docs
        self.encodings = None


def score_texts(module: Any, queries: str | Sequence[str], docs: str | Sequence[str] | Sequence[Sequence[str]]) -> Any:
    """What :meth:`LightningIRModule.score` returns: ``module``'s output for the documents of each query, no gradients.

    Args:
        module: The module (its ``forward``, ``model.output_class`` and ``device``).
        queries: One query or a list.
        docs: For one query, a list of documents; for several, a list of lists.

    Returns:
        The output; ``scores`` is ``(total_docs,)`` in query order (empty, model not run, if no documents).
    """
    query_list, doc_lists = score_lists(type(module).__name__, queries, docs)
    if not any(doc_lists):
        return module.model.output_class(scores=torch.zeros(0, device=module.device))
    with torch.no_grad():
        return module.forward(ScoreBatch(queries=query_list, docs=doc_lists))
