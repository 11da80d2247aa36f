"""Configuration of search over faiss indexes."""

from __future__ import annotations

from dataclasses import dataclass

from ...options import ImputationStrategy
from ...validation import check_option, check_positive
from ..base.search_config import SearchConfig
from .searcher import FaissSearcher


@dataclass(frozen=True)
class FaissSearchConfig(SearchConfig):
    """Search over a faiss index (flat, IVF or IVF-PQ).

    Single-vector queries on flat and IVF indexes go straight to faiss. On IVF-PQ indexes the ``candidate_k``
    nearest documents by quantised score are re-scored exactly from the stored float32 vectors (unless
    ``imputation_strategy`` is set, which returns the quantised scores). Multi-vector (ColBERT-style) indexes
    first retrieve the ``candidate_k`` nearest document vectors of every query vector; their documents are the
    candidates, which are then scored:

    - ``imputation_strategy=None``: exact MaxSim from the stored float32 document vectors (the bi-encoder's score).
    - ``"gather"``: MaxSim from all the candidates' vectors as the faiss index stores them (exact for flat and
      IVF, quantised for IVF-PQ).
    - ``"min"``: only the retrieved vector scores are used; a query vector that retrieved none of a candidate's
      vectors contributes the smallest score it retrieved (no access to document vectors, fastest).

    Args:
        k: Number of documents to retrieve per query.
        candidate_k: Number of candidates retrieved per query vector (multi-vector and IVF-PQ indexes).
        imputation_strategy: How candidate documents are scored (see above).
        n_probe: Number of inverted lists scanned (IVF indexes).
        ef_search: Size of the HNSW candidate list when searching the centroids (IVF indexes); raised to at least
            ``n_probe``.
    """

    searcher_class = FaissSearcher

    candidate_k: int = 100
    imputation_strategy: ImputationStrategy | None = None
    n_probe: int = 1
    ef_search: int = 16

    def __post_init__(self) -> None:
        super().__post_init__()
        owner = type(self).__name__
        object.__setattr__(self, "candidate_k", check_positive(owner, "candidate_k", self.candidate_k))
        check_option(owner, "imputation_strategy", self.imputation_strategy, ImputationStrategy | None)
        object.__setattr__(self, "n_probe", check_positive(owner, "n_probe", self.n_probe))
        object.__setattr__(self, "ef_search", check_positive(owner, "ef_search", self.ef_search))
