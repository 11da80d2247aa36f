"""The one rule for collecting relevance judgements: a document judged again for a query keeps its highest label."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def add_judgement(qrels: dict[str, dict[str, int]], query_id: str, doc_id: str, relevance: int) -> None:
    """Records one judgement in ``qrels`` (``{query_id: {doc_id: relevance}}``), in place.

    TREC qrels may judge a document once per iteration (subtopic); the document then counts with its highest label,
    as in ``trec_eval``'s relevance level and so that a relevant document is never taken for a non-relevant one.
    """
    judged = qrels.setdefault(str(query_id), {})
    doc_id, relevance = str(doc_id), int(relevance)
    judged[doc_id] = max(relevance, judged.get(doc_id, relevance))


def judgements_of(records: Iterable[Mapping[str, Any]], query_id: str | None = None) -> dict[str, dict[str, int]]:
    """The qrels of judgement records (dicts with ``doc_id``, ``relevance`` and ``query_id`` unless given).

    Args:
        records: Judgements as the datasets carry them (``sample.qrels``, ``qrels_by_query``'s lists).
        query_id: The query all records belong to (else each record's ``query_id``).

    Returns:
        ``{query_id: {doc_id: relevance}}``, highest label per document.
    """
    qrels: dict[str, dict[str, int]] = {}
    for record in records:
        owner = record["query_id"] if query_id is None else query_id
        add_judgement(qrels, owner, record["doc_id"], record["relevance"])
    return qrels
