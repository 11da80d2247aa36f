"""Base class of the faiss indexers: stream vectors to disk, then build one faiss index per shard at save time."""

from __future__ import annotations

import logging
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base.dense_shard import DenseShardWriter
from ..base.format import EMBEDDINGS_FILE
from ..base.indexer import Indexer
from ..base.model_config import ScoringSettings
from ..base.npy_file import NpyReader
from ..base.shard_writer import ShardData
from .backend import import_faiss

if TYPE_CHECKING:
    from ..base.index_config import IndexConfig

logger = logging.getLogger(__name__)

FAISS_INDEX_FILE = "index.faiss"
TRAINED_INDEX_FILE = "trained_index.faiss"
"""The trained, empty faiss index (centroids, codebooks) in the index folder; every shard's index starts from it."""
ADD_CHUNK_SIZE = 1 << 16


class FaissIndexer(Indexer):
    """Builds faiss inner-product indexes over the documents' scoring vectors.

    Vectors are streamed to each shard's ``embeddings.npy`` (float32) while documents are added. :meth:`save` trains
    the faiss index where needed (on a random sample of the new vectors, read from disk) and writes it, empty, to
    ``trained_index.faiss``; every shard then gets its own ``index.faiss``, filled from its vectors block by block.
    Later adds reuse the trained index, so all shards share centroids and codebooks and searching them one after
    the other equals searching one index. Multi-vector shards (and IVF-PQ shards, for exact re-scoring) keep
    ``embeddings.npy``. Cosine similarity is inner product on L2-normalised vectors. faiss builds each shard's
    index in memory.
    """

    keeps_embeddings = False
    """Whether single-vector indexes also keep ``embeddings.npy`` (for exact re-scoring of compressed indexes)."""

    @classmethod
    def shard_writer(cls, folder: Path, scoring: ScoringSettings, index_config: IndexConfig) -> DenseShardWriter:
        """Streams float32 vectors (the faiss index is built from them at save)."""
        return DenseShardWriter(folder, scoring.similarity_function == "cosine", "float32")

    def _start(self) -> None:
        import_faiss()

    def _finalize(self, staging_dir: Path, shards: list[tuple[Path, ShardData]]) -> None:
        faiss = import_faiss()
        trained = self._trained_index(staging_dir, shards)
        multi_vector = any(data.multi_vector for _, data in shards) or (
            self.existing is not None and self.existing.metadata.multi_vector
        )
        for folder, _ in shards:
            index = faiss.clone_index(trained)
            with NpyReader(folder / EMBEDDINGS_FILE) as reader:
                buffer = np.empty((min(ADD_CHUNK_SIZE, max(1, reader.num_rows)), reader.shape[1]), dtype=np.float32)
                for start in range(0, reader.num_rows, ADD_CHUNK_SIZE):
                    index.add(reader.read(start, start + ADD_CHUNK_SIZE, out=buffer))
                    if self.verbose:
                        done = min(start + ADD_CHUNK_SIZE, reader.num_rows)
                        logger.info("added %d / %d vectors", done, reader.num_rows)
            faiss.write_index(index, str(folder / FAISS_INDEX_FILE))
            del index
            if not (multi_vector or self.keeps_embeddings):
                (folder / EMBEDDINGS_FILE).unlink()

    def _trained_index(self, staging_dir: Path, shards: list[tuple[Path, ShardData]]) -> Any:
        """The index's trained empty faiss index: stored with the index, else trained now and stored."""
        faiss = import_faiss()
        path = staging_dir / TRAINED_INDEX_FILE
        if path.exists():
            return faiss.read_index(str(path))
        if (staging_dir / FAISS_INDEX_FILE).exists():  # an index of format 1, which stored no trained index
            index = faiss.read_index(str(staging_dir / FAISS_INDEX_FILE))
            index.reset()
        else:
            files = [folder / EMBEDDINGS_FILE for folder, _ in shards]
            index = self._build_index(shards[0][1].dim, sum(data.num_embeddings for _, data in shards), files)
        faiss.write_index(index, str(path))
        return index

    @abstractmethod
    def _build_index(self, dim: int, num_vectors: int, files: list[Path]) -> Any:
        """Returns an empty, trained faiss index for ``num_vectors`` vectors of size ``dim`` stored in ``files``."""
