"""BM25Indexer: tokenises documents and writes a bm25s index as a Lightning IR index directory."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.format import IndexMetadata, check_index_target, staging_directory, write_doc_ids, write_metadata
from ..base.model_config import ScoringSettings
from .backend import import_bm25s, make_tokenizer
from .index_config import BM25IndexConfig

if TYPE_CHECKING:
    from ...data.doc_dataset import DocDataset

logger = logging.getLogger(__name__)

BM25_INDEX_TYPE = "bm25"

BM25_SCORING = ScoringSettings(model_type="bm25", similarity_function="dot", query_aggregation_function="sum")
"""What a BM25 index stores as its scoring settings: the sum of the query terms' (term, document) scores."""


class BM25Indexer:
    """Builds a BM25 index (bm25s) from documents added batch by batch, or from a whole :class:`DocDataset`.

    Usage::

        indexer = BM25Indexer("indexes/scifact-bm25", BM25IndexConfig(stemmer="english"))
        indexer.index(DocDataset("beir/scifact"))   # or indexer.add(doc_ids, texts) per batch, then indexer.save()

    Documents are tokenised as they are added (only their term ids are kept); the scores are computed by bm25s in
    :meth:`save`, which writes into a temporary sibling directory renamed into place, so a failure leaves a
    previous index at ``index_dir`` intact. Only a previous Lightning IR index (or an empty folder) is ever replaced:
    any other existing ``index_dir`` is refused when the indexer is created, before any document is read. See
    :mod:`lightning_ir.retrieve.bm25.files` for the files written.

    Args:
        index_dir: Where the index directory is written (through a symbolic link: where the link points).
        index_config: The BM25 parameters and tokenisation.
        verbose: Log the number of documents and terms when saving.

    Raises:
        OverwriteRefusedError: ``index_dir`` exists and is neither a Lightning IR index nor an empty folder.
        ImportError: bm25s (or PyStemmer, for a stemmer) is missing; the message names the extra to install.
        ValueError: Unknown stemmer or stop-word language.
    """

    index_type = BM25_INDEX_TYPE

    def __init__(
        self, index_dir: str | Path, index_config: BM25IndexConfig | None = None, verbose: bool = False
    ) -> None:
        check_index_target(index_dir)
        self.index_dir = Path(index_dir)
        self.index_config = BM25IndexConfig() if index_config is None else index_config
        self.verbose = verbose
        self._tokenizer = make_tokenizer(self.index_config)
        self.doc_ids: list[str] = []
        self._doc_id_set: set[str] = set()
        self._token_ids: list[list[int]] = []

    @property
    def num_docs(self) -> int:
        """Number of documents added so far."""
        return len(self.doc_ids)

    def add(self, doc_ids: Sequence[str], texts: Sequence[str]) -> None:
        """Tokenises and adds a batch of documents.

        Args:
            doc_ids: The documents' ids: unique across the index, non-empty and free of whitespace (they go into
                TREC runs).
            texts: The documents' texts, one per id.

        Raises:
            ValueError: Lengths differ, an id is invalid or repeated, or a text is not a string. The batch is then
                not added.
        """
        doc_ids, texts = list(doc_ids), list(texts)
        if len(doc_ids) != len(texts):
            raise ValueError(f"BM25Indexer.add: got {len(doc_ids)} doc ids for {len(texts)} texts")
        self._check_doc_ids(doc_ids)
        bad = next((i for i, text in enumerate(texts) if not isinstance(text, str)), None)
        if bad is not None:
            raise ValueError(f"BM25Indexer.add: the text of document {doc_ids[bad]!r} is {type(texts[bad]).__name__}")
        tokens = list(self._tokenizer.streaming_tokenize(texts, update_vocab=True, allow_empty=False))
        self._token_ids.extend(tokens)  # all or nothing: positions stay aligned with doc_ids
        self.doc_ids.extend(doc_ids)
        self._doc_id_set.update(doc_ids)

    def index(self, doc_dataset: DocDataset | str, batch_size: int = 10_000) -> Path:
        """Adds every document of ``doc_dataset`` and saves the index.

        Args:
            doc_dataset: A :class:`~lightning_ir.data.DocDataset`, or the id of one (ir_datasets id, registered
                local collection or collection folder).
            batch_size: Documents tokenised per :meth:`add` call.

        Returns:
            The index directory.
        """
        if isinstance(doc_dataset, str):
            from ...data.doc_dataset import DocDataset

            doc_dataset = DocDataset(doc_dataset)
        doc_ids: list[str] = []
        texts: list[str] = []
        for sample in doc_dataset.iter_all():
            doc_ids.append(sample.doc_id)
            texts.append(sample.doc)
            if len(doc_ids) >= batch_size:
                self.add(doc_ids, texts)
                doc_ids, texts = [], []
        if doc_ids:
            self.add(doc_ids, texts)
        return self.save()

    def save(self) -> Path:
        """Computes the BM25 scores with bm25s and writes the index to ``index_dir``; returns the path.

        Raises:
            ValueError: No documents were added, or none of them has a term (after stop-word removal).
        """
        if not self.doc_ids:
            raise ValueError(f"cannot save the BM25 index at {self.index_dir}: no documents were added")
        vocab = self._tokenizer.get_vocab_dict()
        if not vocab:
            raise ValueError(
                f"cannot save the BM25 index at {self.index_dir}: none of the {self.num_docs} documents has a term "
                f"left after tokenisation (stopwords={self.index_config.stopwords!r})"
            )
        config = self.index_config
        retriever = import_bm25s().BM25(k1=config.k1, b=config.b, delta=config.delta, method=config.method)
        retriever.index((self._token_ids, vocab), create_empty_token=False, show_progress=False)
        with staging_directory(self.index_dir) as staging:
            retriever.save(staging, show_progress=False)
            write_doc_ids(staging, self.doc_ids)
            metadata = IndexMetadata(
                index_type=self.index_type,
                scoring=BM25_SCORING,
                num_docs=self.num_docs,
                num_embeddings=len(retriever.scores["data"]),
                dim=len(vocab),
                multi_vector=False,
                normalized=False,
                index_config=config.to_dict(),
            )
            write_metadata(staging, metadata)
        if self.verbose:
            logger.info("saved BM25 index of %d documents (%d terms) to %s", self.num_docs, len(vocab), self.index_dir)
        return self.index_dir

    def _check_doc_ids(self, doc_ids: list[str]) -> None:
        seen: set[str] = set()
        for doc_id in doc_ids:
            if not isinstance(doc_id, str) or not doc_id or len(doc_id.split()) != 1 or doc_id != doc_id.strip():
                raise ValueError(f"BM25Indexer: doc id {doc_id!r} must be a non-empty string without whitespace")
            if doc_id in self._doc_id_set or doc_id in seen:
                raise ValueError(f"BM25Indexer: duplicate doc id {doc_id!r}: every document can be added only once")
            seen.add(doc_id)
