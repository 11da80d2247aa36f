"""Configuration of the approximate sparse index built with Seismic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...validation import check_positive
from ..base.index_config import IndexConfig
from .indexer import SeismicIndexer


def check_fraction(owner: str, option: str, value: Any, upper: float | None = 1.0) -> float:
    """``value`` as a float in ``(0, upper]`` (``(0, inf)`` when ``upper`` is None), else a ValueError naming it."""
    valid = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if valid and (upper is None or value <= upper):
        return float(value)
    bound = "> 0" if upper is None else f"in (0, {upper}]"
    raise ValueError(f"{owner}: {option} must be a number {bound}, got {value!r}")


def check_threads(owner: str, value: Any) -> int:
    """``value`` as a number of threads (0: all cores), else a ValueError naming it."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"{owner}: num_threads must be 0 (all cores) or a positive integer, got {value!r}")


@dataclass(frozen=True)
class SeismicIndexConfig(IndexConfig):
    """An approximate sparse index (SPLADE-style vectors) built with Seismic (``pip install 'lightning-ir[seismic]'``).

    Seismic (Bruch et al., SIGIR 2024, https://github.com/TusKANNy/seismic) keeps, per vocabulary term, only the
    documents with the largest weights for it (about ``n_postings`` per term), groups each term's documents into
    blocks with a summary vector, and at search time scores only the blocks whose summary promises a high score. It
    searches many times faster than the exact sparse index at a small loss of recall; see
    :class:`~lightning_ir.retrieve.seismic.search_config.SeismicSearchConfig` for the speed/recall knobs.

    The index also keeps the exact CSR matrix of the documents (the files of
    :class:`~lightning_ir.retrieve.sparse.index_config.SparseIndexConfig`), from which it is built, per shard.

    Args:
        n_postings: Average number of documents kept per term (the others are pruned from the term's list).
        centroid_fraction: Fraction of a term's documents used as block centroids (blocks per list).
        min_cluster_size: Smallest block.
        summary_energy: Fraction of a block's weight its summary keeps.
        max_fraction: A term's list holds at most ``n_postings * max_fraction`` documents.
        doc_cut: Largest components of a document used to assign it to a block.
        num_threads: Threads that build the index (0: all cores).
    """

    indexer_class = SeismicIndexer

    n_postings: int = 3500
    centroid_fraction: float = 0.1
    min_cluster_size: int = 2
    summary_energy: float = 0.4
    max_fraction: float = 1.5
    doc_cut: int = 15
    num_threads: int = 0

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for option in ("n_postings", "min_cluster_size", "doc_cut"):
            object.__setattr__(self, option, check_positive(owner, option, getattr(self, option)))
        for option in ("centroid_fraction", "summary_energy"):
            object.__setattr__(self, option, check_fraction(owner, option, getattr(self, option)))
        object.__setattr__(self, "max_fraction", check_fraction(owner, "max_fraction", self.max_fraction, None))
        object.__setattr__(self, "num_threads", check_threads(owner, self.num_threads))
