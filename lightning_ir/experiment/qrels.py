"""Relevance judgements for the experiment report: a qrels file, a dataset id or an in-memory mapping."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeAlias

from ..data.ir_datasets_utils import load_dataset
from ..data.judgements import add_judgement
from ..data.local_formats import read_qrels
from ..data.validation import InputFileError

Qrels: TypeAlias = dict[str, dict[str, int]]
"""Relevance judgements: per query id, its judged documents' relevance labels."""

QrelsLike: TypeAlias = str | Path | Mapping[str, Mapping[str, int]]
"""A qrels file, an ir_datasets id or collection folder with qrels, or in-memory qrels."""

QRELS_SUFFIXES = (".txt", ".qrels", ".tsv", ".trec")
"""Suffixes that mark a string as a qrels file rather than a dataset id (for the message when it is missing)."""


def load_qrels(qrels: QrelsLike) -> tuple[Qrels, str]:
    """Loads relevance judgements.

    A document judged several times for one query (TREC's iteration column: subtopics) gets its highest label.

    Args:
        qrels: A qrels file (TREC ``query_id iteration doc_id relevance`` or TSV ``query_id doc_id relevance``), an
            ir_datasets id such as ``beir/scifact/test``, a collection folder with a qrels file, or
            ``{query_id: {doc_id: relevance}}``.

    Returns:
        The qrels and a description of where they come from (for reports).

    Raises:
        FileNotFoundError: ``qrels`` is neither a file nor a known dataset id.
        InputFileError: The file has a malformed line or no judgement.
        ValueError: The dataset has no qrels.
    """
    if isinstance(qrels, Mapping):
        loaded = {str(qid): {str(doc): int(rel) for doc, rel in docs.items()} for qid, docs in qrels.items()}
        return _non_empty(loaded, "the qrels"), "qrels given in memory"
    path = Path(qrels)
    if path.is_file():
        loaded = {}
        for qrel in read_qrels(path):
            add_judgement(loaded, qrel.query_id, qrel.doc_id, qrel.relevance)
        return _non_empty(loaded, f"qrels file {path}"), str(path)
    if path.suffix in QRELS_SUFFIXES:
        raise FileNotFoundError(f"qrels file {path} does not exist")
    try:
        dataset = load_dataset(str(qrels))
    except ValueError as error:
        raise FileNotFoundError(f"qrels {str(qrels)!r} is neither a qrels file nor a dataset: {error}") from None
    if not dataset.has_qrels():
        raise ValueError(f"dataset '{qrels}' has no qrels; give a dataset with relevance judgements or a qrels file")
    loaded = {}
    for qrel in dataset.qrels_iter():
        add_judgement(loaded, qrel.query_id, qrel.doc_id, qrel.relevance)
    return _non_empty(loaded, f"the qrels of '{qrels}'"), str(qrels)


def _non_empty(qrels: Qrels, where: str) -> Qrels:
    if not any(qrels.values()):
        raise InputFileError(f"{where} hold no relevance judgement")
    return qrels
