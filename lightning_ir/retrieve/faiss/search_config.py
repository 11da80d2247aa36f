"""Configuration of search over faiss indexes."""

from __future__ import annotations

from typing import Literal, get_args

from ..base.search_config import SearchConfig, check_positive
from .searcher import FaissSearcher

ImputationStrategy = Literal["min", "gather"]


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

    def __init__(
        self,
        k: int = 10,
        candidate_k: int = 100,
        imputation_strategy: ImputationStrategy | None = None,
        n_probe: int = 1,
        ef_search: int = 16,
    ) -> None:
        super().__init__(k=k)
        if imputation_strategy is not None and imputation_strategy not in get_args(ImputationStrategy):
            raise ValueError(
                f"imputation_strategy must be None or one of {get_args(ImputationStrategy)}, "
                f"got {imputation_strategy!r}"
            )
        self.candidate_k = check_positive("candidate_k", candidate_k)
        self.imputation_strategy = imputation_strategy
        self.n_probe = check_positive("n_probe", n_probe)
        self.ef_search = check_positive("ef_search", ef_search)
