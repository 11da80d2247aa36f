"""Configuration of approximate search over a Seismic index."""

from __future__ import annotations

from dataclasses import dataclass

from ...validation import check_positive
from ..base.search_config import SearchConfig
from .index_config import check_fraction, check_threads
from .searcher import SeismicSearcher


@dataclass(frozen=True)
class SeismicSearchConfig(SearchConfig):
    """Approximate top-k search over a :class:`~lightning_ir.retrieve.seismic.index_config.SeismicIndexConfig` index.

    Only the ``query_cut`` largest components of a query are searched, and a block of documents is scored only when
    its summary's score exceeds ``heap_factor`` times the k-th best score found so far: larger values of both find
    more of the exact top-k, more slowly.

    Args:
        k: Number of documents to retrieve per query.
        query_cut: Largest query components searched.
        heap_factor: Pruning threshold in (0, 1]: 1 scores a block only if it can beat the current k-th result.
        num_threads: Threads searching a batch of queries (0: all cores).
    """

    searcher_class = SeismicSearcher

    query_cut: int = 20
    heap_factor: float = 0.8
    num_threads: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        object.__setattr__(self, "query_cut", check_positive(owner, "query_cut", self.query_cut))
        object.__setattr__(self, "heap_factor", check_fraction(owner, "heap_factor", self.heap_factor))
        object.__setattr__(self, "num_threads", check_threads(owner, self.num_threads))
