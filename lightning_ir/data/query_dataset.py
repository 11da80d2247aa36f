"""QueryDataset: the queries of a collection, with their qrels, for search."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from .ir_datasets_utils import dataset_ref, qrels_by_query, query_text
from .samples import QuerySample
from .sharding import ShardedIterableDataset


class QueryDataset(ShardedIterableDataset[QuerySample]):
    """Iterates over a collection's queries as :class:`QuerySample` objects, with the query's qrels attached when
    the collection has qrels (an empty list for a query without judgements; ``None`` without qrels at all).

    Iteration is split across DataLoader workers and distributed ranks (every query is yielded exactly once overall).

    Args:
        query_dataset: An ir_datasets id (``"beir/scifact/test"``), a :func:`register_local` id or a folder.
        num_queries: Only the first ``num_queries`` queries (all when ``None``).

    Raises:
        ValueError: Unknown id, or the collection has no queries.
    """

    def __init__(self, query_dataset: str, num_queries: int | None = None) -> None:
        super().__init__()
        self.query_dataset = query_dataset
        self.num_queries = num_queries
        self._ref = dataset_ref(query_dataset)
        if not self._ref.load().has_queries():
            raise ValueError(f"QueryDataset: '{query_dataset}' has no queries")

    def iter_all(self) -> Iterator[QuerySample]:
        dataset = self._ref.load()
        qrels = qrels_by_query(dataset) if dataset.has_qrels() else None
        queries = dataset.queries_iter()
        if self.num_queries is not None:
            queries = itertools.islice(queries, self.num_queries)
        for query in queries:
            query_qrels = None if qrels is None else qrels.get(query.query_id, [])
            yield QuerySample(query.query_id, query_text(query), query_qrels)

    def count_all(self) -> int | None:
        dataset = self._ref.load()
        count = dataset.queries_count() if hasattr(dataset, "queries_count") else None
        if count is None:
            return None
        return count if self.num_queries is None else min(count, self.num_queries)
