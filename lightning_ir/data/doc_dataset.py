"""DocDataset: the documents of a collection, for indexing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from .ir_datasets_utils import dataset_ref, doc_text
from .samples import DocSample
from .sharding import ShardedIterableDataset


class DocDataset(ShardedIterableDataset[DocSample]):
    """Iterates over a collection's documents as :class:`DocSample` objects.

    Iteration is split across DataLoader workers and distributed ranks (every document is yielded exactly once
    overall). Documents with a title (BEIR-style) read "title text" unless ``text_fields`` says otherwise.

    Args:
        doc_dataset: An ir_datasets id (``"beir/scifact"``), a :func:`register_local` id or a collection folder.
        num_docs: Only the first ``num_docs`` documents (all when ``None``).
        text_fields: Document fields joined with a space to form the text, e.g. ``["text"]`` to drop titles.

    Raises:
        ValueError: Unknown id, or the collection has no documents.
    """

    def __init__(self, doc_dataset: str, num_docs: int | None = None, text_fields: Sequence[str] | None = None) -> None:
        super().__init__()
        self.doc_dataset = doc_dataset
        self.num_docs = num_docs
        self.text_fields = tuple(text_fields) if text_fields else None
        self._ref = dataset_ref(doc_dataset)
        if not self._ref.load().has_docs():
            raise ValueError(f"DocDataset: '{doc_dataset}' has no documents")

    def iter_all(self) -> Iterator[DocSample]:
        docs = self._ref.load().docs_iter()
        if self.num_docs is not None:
            docs = itertools.islice(docs, self.num_docs)
        text_fields = self.text_fields
        for doc in docs:
            yield DocSample(doc.doc_id, doc_text(doc, text_fields))

    def count_all(self) -> int | None:
        try:
            count = self._ref.load().docs_count()
        except (NotImplementedError, AttributeError):
            count = None
        if count is None:
            return None
        return count if self.num_docs is None else min(count, self.num_docs)
