"""DocDataset: the documents of a collection, for indexing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from torch.utils.data import get_worker_info

from .ir_datasets_utils import dataset_ref, doc_text
from .local_formats import check_docs_file
from .samples import DocSample
from .sharding import ShardedIterableDataset
from .validation import FirstSeen


class DocDataset(ShardedIterableDataset[DocSample]):
    """Iterates over a collection's documents as :class:`DocSample` objects.

    Iteration is split across DataLoader workers and distributed ranks (every document is yielded exactly once
    overall). Documents with a title (BEIR-style) read "title text" unless ``text_fields`` says otherwise.

    Document ids must be unique and usable in a TREC run (non-empty, without whitespace), or search results could
    not be told apart or written. A local documents file is checked whole when the dataset is created (every line,
    and repeated ids with both line numbers; cut at ``num_docs``); the documents of other collections are checked
    while they are read, in one DataLoader worker per process (every worker reads the whole stream before taking
    its share), and an error names the documents' positions.

    Args:
        doc_dataset: An ir_datasets id (``"beir/scifact"``), a :func:`register_local` id or a collection folder.
        num_docs: Only the first ``num_docs`` documents (all when ``None``).
        text_fields: Document fields joined with a space to form the text, e.g. ``["text"]`` to drop titles.

    Raises:
        ValueError: Unknown id, the collection has no documents, a malformed line or a repeated document id in a
            local documents file.
    """

    def __init__(self, doc_dataset: str, num_docs: int | None = None, text_fields: Sequence[str] | None = None) -> None:
        super().__init__()
        self.doc_dataset = doc_dataset
        self.num_docs = num_docs
        self.text_fields = tuple(text_fields) if text_fields else None
        self._ref = dataset_ref(doc_dataset)
        if not self._ref.load().has_docs():
            raise ValueError(f"DocDataset: '{doc_dataset}' has no documents")
        local_file = self._ref.spec.file("docs") if self._ref.spec is not None else None
        if local_file is not None:
            check_docs_file(local_file, num_docs)
        self._check_while_reading = local_file is None

    def iter_all(self) -> Iterator[DocSample]:
        """Yields every document (the first ``num_docs``), checking ids while reading when no local file was checked."""
        docs = self._ref.load().docs_iter()
        if self.num_docs is not None:
            docs = itertools.islice(docs, self.num_docs)
        text_fields = self.text_fields
        worker = get_worker_info()
        first_seen = FirstSeen() if self._check_while_reading and (worker is None or worker.id == 0) else None
        source = f"DocDataset '{self.doc_dataset}'"
        for position, doc in enumerate(docs, start=1):
            if first_seen is not None:
                first_seen.check(doc.doc_id, position, source, "document")
            yield DocSample(doc.doc_id, doc_text(doc, text_fields))

    def count_all(self) -> int | None:
        """The number of documents (at most ``num_docs``), or ``None`` when the collection does not say."""
        try:
            count = self._ref.load().docs_count()
        except (NotImplementedError, AttributeError):
            count = None
        if count is None:
            return None
        return count if self.num_docs is None else min(count, self.num_docs)
