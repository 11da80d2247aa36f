"""BM25Searcher: loads a BM25 index and retrieves the top-k documents of query texts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..base.format import CONFIG_FILE, IndexFormatError, read_doc_ids, read_metadata
from ..base.searcher import SearchResult
from .backend import import_bm25s, make_tokenizer
from .files import check_bm25_files
from .index_config import BM25IndexConfig
from .indexer import BM25_INDEX_TYPE
from .search_config import BM25SearchConfig

if TYPE_CHECKING:
    from ...data.query_dataset import QueryDataset

BM25_RUN_TAG = "bm25"
"""The tag (last column) of the runs a :class:`BM25Searcher` writes."""


class BM25Searcher:
    """Searches a BM25 index written by :class:`~lightning_ir.retrieve.bm25.indexer.BM25Indexer`.

    Queries are tokenised with the settings stored with the index, then bm25s scores them: the run is bm25s' own
    retrieval on the same corpus (same documents, same scores).

    Usage::

        searcher = BM25Searcher("indexes/scifact-bm25", BM25SearchConfig(k=100))
        scores, doc_ids = searcher.search(["what do cats eat"])
        searcher.write_run(QueryDataset("beir/scifact/test"), "runs/bm25/beir__scifact__test.run")

    Args:
        index_dir: The index directory.
        search_config: ``k`` and the scoring backend (default ``BM25SearchConfig()``: k=100, numpy).

    Raises:
        FileNotFoundError: The index directory or one of its files is missing.
        IndexFormatError: A file is corrupt, from another format version, or does not fit the others.
        ValueError: The index is not a BM25 index.
        ImportError: bm25s (or PyStemmer) is missing.
    """

    def __init__(self, index_dir: str | Path, search_config: BM25SearchConfig | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.search_config = BM25SearchConfig() if search_config is None else search_config
        self.metadata = read_metadata(self.index_dir)
        if self.metadata.index_type != BM25_INDEX_TYPE:
            raise ValueError(
                f"the index at {self.index_dir} is a {self.metadata.index_type!r} index, not a BM25 index; search it "
                "with the search config that matches its index config"
            )
        try:
            self.index_config = BM25IndexConfig.from_dict(self.metadata.index_config)
        except (TypeError, ValueError) as error:
            raise IndexFormatError(f"{self.index_dir / CONFIG_FILE}: invalid BM25 index config ({error})") from error
        self.doc_ids = read_doc_ids(self.index_dir, self.metadata.num_docs)
        check_bm25_files(self.index_dir, self.metadata, self.index_config.method)
        make_tokenizer(self.index_config)  # a stemmer or stop-word list that is not available fails here
        bm25s = import_bm25s()
        self.retriever: Any = bm25s.BM25.load(self.index_dir, backend=self.search_config.backend)

    @property
    def num_docs(self) -> int:
        """Number of indexed documents."""
        return self.metadata.num_docs

    def search(self, queries: Sequence[str]) -> SearchResult:
        """Retrieves the top-k documents of every query.

        Args:
            queries: Query texts.

        Returns:
            Scores (one float32 tensor per query, descending) and document ids, ``min(k, num_docs)`` per query.
        """
        queries = list(queries)
        if not queries:
            return SearchResult(scores=[], doc_ids=[])
        bad = next((query for query in queries if not isinstance(query, str)), None)
        if bad is not None:
            raise ValueError(f"BM25Searcher.search: queries must be strings, got {type(bad).__name__}")
        tokenizer = make_tokenizer(self.index_config)
        token_ids = list(tokenizer.streaming_tokenize(queries, update_vocab=True, allow_empty=False))
        tokens = tokenizer.decode(token_ids)
        k = min(self.search_config.k, self.num_docs)
        documents, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=0)
        return SearchResult(
            scores=[torch.from_numpy(row.copy()) for row in scores],
            doc_ids=[[self.doc_ids[int(index)] for index in row] for row in documents],
        )

    def search_dataset(self, query_dataset: QueryDataset | str) -> tuple[list[str], SearchResult]:
        """Retrieves the top-k documents of every query of a dataset.

        Args:
            query_dataset: A :class:`~lightning_ir.data.QueryDataset` or the id of one.

        Returns:
            The query ids, in the dataset's order, and their results.
        """
        if isinstance(query_dataset, str):
            from ...data.query_dataset import QueryDataset

            query_dataset = QueryDataset(query_dataset)
        samples = list(query_dataset.iter_all())
        return [sample.query_id for sample in samples], self.search([sample.query for sample in samples])

    def write_run(self, query_dataset: QueryDataset | str, path: str | Path, tag: str = BM25_RUN_TAG) -> Path:
        """Searches every query of ``query_dataset`` and writes the rankings as a TREC run file, atomically.

        Name the file after the queries' dataset (``beir__scifact__test.run``, see
        :func:`~lightning_ir.data.run_names.run_file_name`) and ``RunDataset`` finds their texts and qrels by itself.

        Args:
            query_dataset: A :class:`~lightning_ir.data.QueryDataset` or the id of one.
            path: The run file; an existing file is replaced only when it is a run file.
            tag: The run tag (last column).

        Returns:
            The path written.

        Raises:
            OverwriteRefusedError: ``path`` exists and is not a run file (checked before searching).
        """
        from ...atomic import check_replaceable
        from ...data.run_file import is_run_file, write_run

        check_replaceable(path, is_run_file, "run file", directory=False)
        query_ids, result = self.search_dataset(query_dataset)
        return write_run(path, query_ids, result.doc_ids, result.scores, tag=tag)
