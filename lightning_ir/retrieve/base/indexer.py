"""Base class of all indexers: validates batches, collects doc ids, writes the index directory atomically."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import torch

from .format import IndexMetadata, check_index_target, staging_directory, write_doc_ids, write_metadata
from .model_config import ScoringModelConfig, ScoringSettings, model_config_to_dict
from .model_identity import ModelIdentity

if TYPE_CHECKING:
    from .index_config import IndexConfig

logger = logging.getLogger(__name__)


@dataclass
class IndexData:
    """What an indexer's ``_write`` reports about the data it wrote.

    Attributes:
        num_embeddings: Number of stored vectors (or non-zeros).
        dim: Size of each vector.
        multi_vector: Whether documents have several vectors.
    """

    num_embeddings: int
    dim: int
    multi_vector: bool


class Indexer(ABC):
    """Builds an index directory from document embeddings added batch by batch.

    Usage::

        indexer = index_config.indexer_class(index_dir, index_config, model_config)
        for batch in batches:
            indexer.add(batch_doc_ids, doc_embeddings, doc_scoring_mask)
        indexer.save()

    Nothing is written before :meth:`save`, which writes into a temporary sibling directory and renames it into
    place, so a failure at any point leaves a previous index at ``index_dir`` intact. Only a previous Lightning IR
    index (or an empty folder) is ever replaced: any other existing ``index_dir`` is refused when the indexer is
    created, before any document is encoded.

    Args:
        index_dir: Where the index directory is written (through a symbolic link: where the link points).
        index_config: The index configuration.
        model_config: The bi-encoder configuration (``model_type``, ``similarity_function``,
            ``query_aggregation_function``, ``embedding_dim``); its scoring settings are stored with the index.
        verbose: Log progress while saving.
        model_identity: The model that encodes the documents (stored with the index; searchers compare it with the
            query model's).

    Raises:
        OverwriteRefusedError: ``index_dir`` exists and is neither a Lightning IR index nor an empty folder.
    """

    index_type: ClassVar[str]

    allows_empty_documents: ClassVar[bool] = False
    """Whether a single-vector document without a scoring vector may be added (it then can never be found)."""

    def __init__(
        self,
        index_dir: str | Path,
        index_config: IndexConfig,
        model_config: ScoringModelConfig,
        verbose: bool = False,
        model_identity: ModelIdentity | None = None,
    ) -> None:
        check_index_target(index_dir)
        self.index_dir = Path(index_dir)
        self.model_identity = model_identity
        self.index_config = index_config
        self.scoring = ScoringSettings.from_model_config(model_config)
        self.model_config_dict = model_config_to_dict(model_config)
        self.verbose = verbose
        self.doc_ids: list[str] = []
        self._doc_id_set: set[str] = set()
        self._dim: int | None = None
        self._start()

    def _start(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Prepares the indexer's own storage; called at the end of ``__init__`` (instead of overriding it)."""

    @property
    def num_docs(self) -> int:
        """Number of documents added so far."""
        return len(self.doc_ids)

    def add(self, doc_ids: Sequence[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Adds a batch of documents.

        Args:
            doc_ids: The ``batch`` document ids (unique across the whole index, no newlines).
            embeddings: ``(batch, seq or 1, dim)`` document embeddings.
            scoring_mask: ``(batch, seq or 1)`` bool, True for the vectors that take part in scoring.

        Raises:
            ValueError: On shapes that do not fit, a changing ``dim``, or invalid/duplicate doc ids. The batch is
                then not added.
        """
        doc_ids = list(doc_ids)
        self._check_batch(doc_ids, embeddings, scoring_mask)
        self._add(embeddings, scoring_mask.bool())
        self.doc_ids.extend(doc_ids)
        self._doc_id_set.update(doc_ids)
        self._dim = embeddings.shape[2]

    def save(self) -> Path:
        """Writes the index to ``index_dir`` (via a temporary directory renamed into place) and returns the path.

        Raises:
            ValueError: If no documents were added.
        """
        if not self.doc_ids:
            raise ValueError(f"cannot save the index at {self.index_dir}: no documents were added")
        with staging_directory(self.index_dir) as staging:
            write_doc_ids(staging, self.doc_ids)
            data = self._write(staging)
            metadata = IndexMetadata(
                index_type=self.index_type,
                scoring=self.scoring,
                num_docs=self.num_docs,
                num_embeddings=data.num_embeddings,
                dim=data.dim,
                multi_vector=data.multi_vector,
                normalized=self.scoring.similarity_function == "cosine",
                index_config=self.index_config.to_dict(),
                model_config=self.model_config_dict,
                model_identity=self.model_identity,
            )
            write_metadata(staging, metadata)
        if self.verbose:
            logger.info("saved %s index of %d documents to %s", self.index_type, self.num_docs, self.index_dir)
        return self.index_dir

    def _check_batch(self, doc_ids: list[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        if embeddings.ndim != 3:
            raise ValueError(f"embeddings must be (batch, seq or 1, dim), got shape {tuple(embeddings.shape)}")
        if tuple(scoring_mask.shape) != tuple(embeddings.shape[:2]):
            raise ValueError(
                f"scoring_mask shape {tuple(scoring_mask.shape)} does not match embeddings shape "
                f"{tuple(embeddings.shape)} (expected (batch, seq))"
            )
        if len(doc_ids) != embeddings.shape[0]:
            raise ValueError(f"got {len(doc_ids)} doc_ids for a batch of {embeddings.shape[0]} embeddings")
        if self._dim is not None and embeddings.shape[2] != self._dim:
            raise ValueError(f"embedding dim changed from {self._dim} to {embeddings.shape[2]} between batches")
        if not embeddings.is_floating_point():
            raise ValueError(f"embeddings must be floating point, got {embeddings.dtype}")
        self._check_doc_ids(doc_ids)
        self._check_vectors(doc_ids, embeddings, scoring_mask.bool())

    def _check_vectors(self, doc_ids: list[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Refuses non-finite scoring vectors and single-vector documents without a scoring vector."""
        finite = torch.isfinite(embeddings).all(dim=2) | ~scoring_mask
        if not bool(finite.all()):
            row = int((~finite).any(dim=1).nonzero()[0])
            raise ValueError(f"document {doc_ids[row]!r} has a non-finite embedding (NaN or inf); it is not indexed")
        if embeddings.shape[1] == 1 and not self.allows_empty_documents and not bool(scoring_mask.all()):
            row = int((~scoring_mask[:, 0]).nonzero()[0])
            raise ValueError(
                f"document {doc_ids[row]!r} has no vector that takes part in scoring (its scoring mask is False), so a "
                "single-vector index could never return it"
            )

    def _check_doc_ids(self, doc_ids: list[str]) -> None:
        seen: set[str] = set()
        for doc_id in doc_ids:
            if not isinstance(doc_id, str) or "\n" in doc_id or "\r" in doc_id:
                raise ValueError(f"doc id {doc_id!r} must be a string without line breaks")
            if doc_id in self._doc_id_set or doc_id in seen:
                raise ValueError(f"duplicate doc id {doc_id!r}: every document can be added only once")
            seen.add(doc_id)

    @abstractmethod
    def _add(self, embeddings: torch.Tensor, scoring_mask: torch.Tensor) -> None:
        """Stores a validated batch (``scoring_mask`` is bool)."""

    @abstractmethod
    def _write(self, staging_dir: Path) -> IndexData:
        """Writes the index data into ``staging_dir`` and describes it."""
