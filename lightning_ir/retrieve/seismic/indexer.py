"""Indexer of the Seismic index: the exact CSR shards of the sparse index, plus a Seismic index built from each."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..base.format import load_array
from ..base.shard_writer import ShardData
from ..sparse.indexer import COL_INDICES_FILE, CROW_INDICES_FILE, VALUES_FILE, SparseIndexer
from .backend import import_seismic, quiet_stdout

if TYPE_CHECKING:
    from .index_config import SeismicIndexConfig

logger = logging.getLogger(__name__)

SEISMIC_PREFIX = "seismic"
"""Seismic saves an index to ``<prefix>.index.seismic``."""
SEISMIC_FILE = f"{SEISMIC_PREFIX}.index.seismic"
"""The Seismic index of a shard, beside the shard's CSR files."""


class SeismicIndexer(SparseIndexer):
    """Streams ``(batch, 1, vocab)`` document vectors to disk like the sparse index, then builds Seismic indexes.

    Each shard (one per build, incremental add or distributed rank) gets a Seismic index over its documents,
    ``seismic.index.seismic``, built when the index is saved from the shard's CSR files; in it, a document is named
    by its row in the shard. Documents without any non-zero entry are left out of the Seismic index (an inner
    product cannot rank them above zero).
    """

    index_type = "seismic"
    index_config: SeismicIndexConfig

    def _start(self) -> None:
        import_seismic()  # a missing backend is reported before any document is encoded

    def _finalize(self, staging_dir: Path, shards: list[tuple[Path, ShardData]]) -> None:
        for folder, data in shards:
            if data.num_embeddings:
                build_seismic_index(folder, data, self.index_config, self.verbose)


def build_seismic_index(folder: Path, data: ShardData, config: SeismicIndexConfig, verbose: bool = False) -> Path:
    """Builds the Seismic index of the shard in ``folder`` from its CSR files and saves it there.

    Args:
        folder: A closed sparse shard (``crow_indices.npy``, ``col_indices.npy``, ``values.npy``).
        data: What the shard holds.
        config: The Seismic build parameters.
        verbose: Let Seismic report its build steps on the console.

    Returns:
        The path of the Seismic index file.
    """
    seismic = import_seismic()
    crow = load_array(folder / CROW_INDICES_FILE, (data.num_docs + 1,), np.int64)
    columns = load_array(folder / COL_INDICES_FILE, (data.num_embeddings,), np.int64)
    values = load_array(folder / VALUES_FILE, (data.num_embeddings,), np.float32)
    columns, values = _sorted_rows(crow, columns, values)
    if verbose:
        logger.info("building the Seismic index of %d documents in %s", data.num_docs, folder)
    with quiet_stdout(not verbose):
        dataset = seismic.SeismicDataset(dim=data.dim)
        dataset.add_documents_by_id([str(row) for row in range(data.num_docs)], columns, values, crow)
        index = seismic.SeismicIndex.build_from_dataset(
            dataset,
            n_postings=config.n_postings,
            centroid_fraction=config.centroid_fraction,
            min_cluster_size=config.min_cluster_size,
            summary_energy=config.summary_energy,
            max_fraction=config.max_fraction,
            doc_cut=config.doc_cut,
            num_threads=config.num_threads,
        )
        index.save(str(folder / SEISMIC_PREFIX))
    return folder / SEISMIC_FILE


def _sorted_rows(crow: np.ndarray, columns: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns (and their values) in increasing order within every row, as Seismic requires."""
    descending = np.diff(columns) <= 0
    starts = crow[1:-1]
    descending[starts[(starts > 0) & (starts < columns.shape[0])] - 1] = False  # a new row may start lower
    if not descending.any():
        return columns, values
    rows = np.repeat(np.arange(crow.shape[0] - 1), np.diff(crow))
    order = np.lexsort((columns, rows))
    return columns[order], values[order]
