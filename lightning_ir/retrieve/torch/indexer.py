"""Indexer of the exact dense torch index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base.dense_shard import DenseShardWriter
from ..base.format import EMBEDDINGS_FILE
from ..base.indexer import Indexer
from ..base.model_config import ScoringSettings
from ..base.npy_file import NpyReader, NpyWriter
from ..base.precision import QUANTIZER_FILE, QUANTIZER_TRAIN_SIZE, ScalarQuantizer, is_trained
from ..base.sampling import sample_vectors
from ..base.shard_writer import ShardData

if TYPE_CHECKING:
    from ..base.index_config import IndexConfig
    from .index_config import TorchDenseIndexConfig

CODES_FILE = "codes.npy"
"""The int8 codes of an int8 shard, ``(num_embeddings, dim)`` uint8."""

ENCODE_BLOCK = 1 << 16
"""Vectors quantised at a time."""


class TorchDenseIndexer(Indexer):
    """Stores document vectors (only those where the scoring mask is True) for exact search.

    Every shard holds ``doc_lengths.npy`` ``(num_docs,)`` int64, the number of vectors of each document in index
    order, and its vectors (L2-normalised for cosine similarity) in the configured precision: ``embeddings.npy``
    ``(num_embeddings, dim)`` float32, float16 or bfloat16 (as uint16 bit patterns), written as documents are added;
    or, for int8, ``codes.npy`` ``(num_embeddings, dim)`` uint8 faiss scalar-quantizer codes, encoded when the index is
    saved with the quantizer in ``scalar_quantizer.faiss`` (trained on a random sample of the vectors, reused by
    later adds).
    """

    index_type = "torch-dense"
    index_config: TorchDenseIndexConfig

    @classmethod
    def shard_writer(cls, folder: Path, scoring: ScoringSettings, index_config: IndexConfig) -> DenseShardWriter:
        """Streams vectors in the configured precision (float32 for int8, which is quantised at save)."""
        precision = str(getattr(index_config, "precision", "float32"))
        stored = "float32" if is_trained(precision) else precision
        return DenseShardWriter(folder, scoring.similarity_function == "cosine", stored)

    def _start(self) -> None:
        if is_trained(self.index_config.precision):
            from ..faiss.backend import import_faiss

            import_faiss()

    def _finalize(self, staging_dir: Path, shards: list[tuple[Path, ShardData]]) -> None:
        if not is_trained(self.index_config.precision):
            return
        path = staging_dir / QUANTIZER_FILE
        if path.exists():
            quantizer = ScalarQuantizer.load(path)
        else:
            sample = sample_vectors([folder / EMBEDDINGS_FILE for folder, _ in shards], QUANTIZER_TRAIN_SIZE)
            quantizer = ScalarQuantizer.train(sample)
            quantizer.save(path)
        for folder, _ in shards:
            quantize_file(quantizer, folder / EMBEDDINGS_FILE, folder / CODES_FILE)


def quantize_file(quantizer: ScalarQuantizer, source: Path, target: Path) -> None:
    """Writes the codes of the float32 vectors in ``source`` to ``target`` block by block, then deletes ``source``."""
    reader = NpyReader(source)
    writer = NpyWriter(target, np.uint8, (reader.shape[1],))
    buffer = np.empty((min(ENCODE_BLOCK, max(1, reader.num_rows)), reader.shape[1]), dtype=np.float32)
    try:
        for start in range(0, reader.num_rows, ENCODE_BLOCK):
            writer.append(quantizer.encode(reader.read(start, start + ENCODE_BLOCK, out=buffer)))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        reader.close()
    source.unlink()
