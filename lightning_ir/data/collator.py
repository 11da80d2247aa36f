"""LightningIRCollator: turns a list of samples into a batch, optionally tokenising in the DataLoader workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch
from transformers import BatchEncoding

from .batches import IndexBatch, RankBatch, SearchBatch, TrainBatch
from .samples import DocSample, QuerySample, RankSample


class Tokenizer(Protocol):
    """What the collator needs from a tokenizer (any Lightning IR tokenizer qualifies)."""

    def tokenize(
        self,
        queries: Sequence[str] | None = None,
        docs: Sequence[str] | None = None,
        num_docs: Sequence[int] | int | None = None,
    ) -> dict[str, BatchEncoding]:
        """Tokenise queries and/or documents into named encodings (``query_encoding``, ``doc_encoding``, ...)."""


def _merge_qrels(samples: Sequence[QuerySample | RankSample]) -> list[dict[str, Any]] | None:
    if all(sample.qrels is None for sample in samples):
        return None
    return [qrel for sample in samples for qrel in sample.qrels or []]


class LightningIRCollator:
    """Collates samples into batches whose type follows from the samples' type.

    ``DocSample`` -> :class:`IndexBatch`, ``QuerySample`` -> :class:`SearchBatch`, ``RankSample`` ->
    :class:`TrainBatch` when the samples have targets, else :class:`RankBatch`.

    Pass it as a DataLoader's ``collate_fn``. With a tokenizer, it fills the batch's ``encodings`` (queries and
    documents are tokenised where the collator runs: inside the DataLoader workers when ``num_workers > 0``).
    Rank samples are tokenised as ``tokenize(queries=queries, docs=<flat docs>, num_docs=<docs per query>)``.

    Args:
        tokenizer: An object with ``tokenize(queries=None, docs=None, num_docs=None) -> dict[str, BatchEncoding]``.
    """

    def __init__(self, tokenizer: Tokenizer | None = None) -> None:
        self.tokenizer = tokenizer

    def __call__(self, samples: Sequence[DocSample | QuerySample | RankSample]) -> IndexBatch | SearchBatch | RankBatch:
        """Builds the batch for ``samples`` (all of one sample type).

        Raises:
            TypeError: The samples are empty, of mixed types or not samples.
            ValueError: Some rank samples have targets and others do not.
        """
        if not samples:
            raise TypeError("LightningIRCollator: cannot collate an empty list of samples")
        kind = type(samples[0])
        if any(type(sample) is not kind for sample in samples):
            raise TypeError(f"LightningIRCollator: mixed sample types {sorted({type(s).__name__ for s in samples})}")
        if kind is DocSample:
            return self._index_batch(samples)  # type: ignore[arg-type]
        if kind is QuerySample:
            return self._search_batch(samples)  # type: ignore[arg-type]
        if kind is RankSample:
            return self._rank_batch(samples)  # type: ignore[arg-type]
        raise TypeError(f"LightningIRCollator: expected DocSample, QuerySample or RankSample, got {kind.__name__}")

    def _index_batch(self, samples: Sequence[DocSample]) -> IndexBatch:
        docs = [sample.doc for sample in samples]
        encodings = self.tokenizer.tokenize(docs=docs) if self.tokenizer is not None else None
        return IndexBatch(doc_ids=[sample.doc_id for sample in samples], docs=docs, encodings=encodings)

    def _search_batch(self, samples: Sequence[QuerySample]) -> SearchBatch:
        queries = [sample.query for sample in samples]
        encodings = self.tokenizer.tokenize(queries=queries) if self.tokenizer is not None else None
        return SearchBatch(
            query_ids=[sample.query_id for sample in samples],
            queries=queries,
            qrels=_merge_qrels(samples),
            encodings=encodings,
        )

    def _rank_batch(self, samples: Sequence[RankSample]) -> RankBatch:
        queries = [sample.query for sample in samples]
        docs = [list(sample.docs) for sample in samples]
        encodings = None
        if self.tokenizer is not None:
            flat_docs = [doc for query_docs in docs for doc in query_docs]
            encodings = self.tokenizer.tokenize(queries=queries, docs=flat_docs, num_docs=[len(d) for d in docs])
        fields: dict[str, Any] = {
            "queries": queries,
            "docs": docs,
            "query_ids": [sample.query_id for sample in samples],
            "doc_ids": [list(sample.doc_ids) for sample in samples],
            "qrels": _merge_qrels(samples),
            "encodings": encodings,
        }
        with_targets = [sample.targets is not None for sample in samples]
        if not any(with_targets):
            return RankBatch(**fields)
        if not all(with_targets):
            raise ValueError("LightningIRCollator: some rank samples have targets and others do not")
        targets = torch.cat([torch.as_tensor(sample.targets, dtype=torch.float32).view(-1) for sample in samples])
        return TrainBatch(**fields, targets=targets)
