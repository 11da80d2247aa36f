"""QueryDataset: the queries of a collection, with their qrels, for search."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from torch.utils.data import get_worker_info

from .ir_datasets_utils import dataset_ref, qrels_by_query, query_text
from .local_formats import read_queries
from .samples import QuerySample
from .sharding import ShardedIterableDataset
from .validation import FirstSeen


class QueryDataset(ShardedIterableDataset[QuerySample]):
    """Iterates over a collection's queries as :class:`QuerySample` objects, with the query's qrels attached.

    The qrels are an empty list for a query without judgements, and ``None`` when the collection has no qrels.

    Iteration is split across DataLoader workers and distributed ranks (every query is yielded exactly once overall).

    Query ids must be unique (a second ranking for the same id would replace the first in a run) and usable in a
    TREC run (non-empty, without whitespace). A local queries file is checked whole when the dataset is created
    (with line numbers; cut at ``num_queries``); the queries of other collections are checked while they are read,
    in one DataLoader worker per process (every worker reads the whole stream), and an error names positions.

    Args:
        query_dataset: An ir_datasets id (``"beir/scifact/test"``), a :func:`register_local` id or a folder.
        num_queries: Only the first ``num_queries`` queries (all when ``None``).

    Raises:
        ValueError: Unknown id, the collection has no queries, or a malformed line or repeated query id in a local
            queries file.
    """

    def __init__(self, query_dataset: str, num_queries: int | None = None) -> None:
        super().__init__()
        self.query_dataset = query_dataset
        self.num_queries = num_queries
        self._ref = dataset_ref(query_dataset)
        if not self._ref.load().has_queries():
            raise ValueError(f"QueryDataset: '{query_dataset}' has no queries")
        local_file = self._ref.spec.file("queries") if self._ref.spec is not None else None
        if local_file is not None:
            for _ in itertools.islice(read_queries(local_file), num_queries):
                pass
        self._check_while_reading = local_file is None

    def iter_all(self) -> Iterator[QuerySample]:
        """Yields every query (the first ``num_queries``) with its qrels, checking ids while reading if needed."""
        dataset = self._ref.load()
        qrels = qrels_by_query(dataset) if dataset.has_qrels() else None
        queries = dataset.queries_iter()
        if self.num_queries is not None:
            queries = itertools.islice(queries, self.num_queries)
        worker = get_worker_info()
        first_seen = FirstSeen() if self._check_while_reading and (worker is None or worker.id == 0) else None
        source = f"QueryDataset '{self.query_dataset}'"
        for position, query in enumerate(queries, start=1):
            if first_seen is not None:
                first_seen.check(query.query_id, position, source, "query")
            query_qrels = None if qrels is None else qrels.get(query.query_id, [])
            yield QuerySample(query.query_id, query_text(query), query_qrels)

    def count_all(self) -> int | None:
        """The number of queries (at most ``num_queries``), or ``None`` when the collection does not say."""
        dataset = self._ref.load()
        count = dataset.queries_count() if hasattr(dataset, "queries_count") else None
        if count is None:
            return None
        return count if self.num_queries is None else min(count, self.num_queries)
