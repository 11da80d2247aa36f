"""Fusing runs: reciprocal rank fusion and CombSUM / CombMNZ with optional score normalisation and weights.

The arithmetic is ranx's (``pip install 'lightning-ir[report]'``); this module fixes what ranx leaves open:

- **Ranks.** A query's ranking is its documents by descending score, ties broken by ascending document id (also
  for run files, whose rank column is not used). RRF uses these ranks, counted from 1; ranx ranks by the order it
  holds the documents in, so it is given ``-rank`` as the score.
- **Queries.** The fused run has every query of any run; a run without a query contributes nothing to it (ranx
  requires equal query sets, so it is given an empty ranking there).
- **Weights.** ``w_i`` scales run ``i``'s contribution in every method (ranx's weighted sum): RRF is
  ``sum_i w_i / (k + rank_i(d))`` (ranx has no weighted RRF: each run's RRF scores come from ``ranx.fusion.rrf``,
  then ``ranx.fusion.wsum`` adds them up), CombSUM ``sum_i w_i s_i(d)`` and CombMNZ
  ``n(d) * sum_i w_i s_i(d)`` with ``n(d)`` the number of runs that retrieved ``d`` (ranx's ``wmnz`` would instead
  multiply the plain score sum by the sum of weights). Without weights every ``w_i`` is 1 and these are the
  textbook definitions (Cormack et al. 2009; Fox and Shaw 1993).
- **Normalisation** (CombSUM / CombMNZ only, per query and run, over the documents the run retrieved): ``min-max``
  is ranx's ``(s - min) / max(max - min, 1e-9)``, ``z-score`` ranx's ``zmuv`` ``(s - mean) / max(std, 1e-9)`` with
  the population standard deviation. Without it the raw scores are added.
- **Order.** The fused ranking is ordered like every other: descending fused score, then ascending document id.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

from ..options import FusionMethod, ScoreNormalization
from ..validation import check_option, check_optional_positive_int
from .runs import Run, RunLike, cut, load_run, ranks


def fuse_runs(
    runs: Sequence[RunLike],
    method: FusionMethod = "rrf",
    normalization: ScoreNormalization | None = None,
    weights: Sequence[float] | None = None,
    k: float = 60,
    depth: int | None = None,
) -> Run:
    """Fuses two or more runs into one (definitions in the module docstring).

    Args:
        runs: Run files (TREC or JSONL) or in-memory runs ``{query_id: {doc_id: score}}``.
        method: ``"rrf"`` (score ``sum_i w_i / (k + rank_i)``, ranks from 1), ``"combsum"`` or ``"combmnz"``.
        normalization: Per-query score normalisation for CombSUM / CombMNZ: ``"min-max"``, ``"z-score"`` or None (raw
            scores). RRF uses ranks only and takes none.
        weights: One non-negative weight per run (not all zero); default 1 each.
        k: RRF's constant (60, as in Cormack et al.); any number >= 0.
        depth: Keep the top ``depth`` documents of each fused ranking (all when None).

    Returns:
        The fused run, each query's documents in rank order (descending score, then ascending document id).

    Raises:
        ValueError: Fewer than two runs, an unknown method or normalisation, a normalisation with RRF, a wrong number
            of weights or an invalid weight, ``k`` or ``depth``.
        FileNotFoundError: A run file does not exist.
        InputFileError: A run file has a malformed line.
        ImportError: ranx is not installed.

    Example:
        >>> fuse_runs([{"q": {"a": 2.0, "b": 1.0}}, {"q": {"b": 5.0}}])  # doctest: +SKIP
        {'q': {'b': 0.03252247488101534, 'a': 0.01639344262295082}}
    """
    depth = check_fusion("fuse_runs", method, normalization, k, depth)
    if len(runs) < 2:
        raise ValueError(f"fuse_runs: runs must hold at least two runs to fuse, got {len(runs)}")
    run_weights = check_weights("fuse_runs", weights, len(runs))
    loaded = [load_run(run) for run in runs]
    query_ids = list(dict.fromkeys(query_id for run in loaded for query_id in run))
    if method == "rrf":
        loaded = [
            {query_id: {d: -float(r) for d, r in ranks(scores).items()} for query_id, scores in run.items()}
            for run in loaded
        ]
    assert run_weights is not None
    fused = _ranx_fuse(loaded, query_ids, method, normalization, run_weights, float(k))
    return cut({query_id: fused.get(query_id, {}) for query_id in query_ids}, depth)


def check_fusion(owner: str, method: str, normalization: str | None, k: float, depth: int | None) -> int | None:
    """Checks the options of a fusion (not its weights, see :func:`check_weights`) and that ranx is installed.

    Returns:
        ``depth`` as an int (None: keep every document).

    Raises:
        ValueError: An unknown method or normalisation, a normalisation with RRF, ``k < 0`` or a bad ``depth``.
        ImportError: ranx is not installed.
    """
    check_option(owner, "method", method, FusionMethod)
    check_option(owner, "normalization", normalization, ScoreNormalization | None)
    if method == "rrf" and normalization is not None:
        raise ValueError(
            f"{owner}: normalization={normalization!r} does not apply to method='rrf', which fuses ranks; use "
            "method='combsum' or 'combmnz' or leave normalization out"
        )
    if isinstance(k, bool) or not isinstance(k, numbers.Real) or not math.isfinite(k) or k < 0:
        raise ValueError(f"{owner}: k must be a number >= 0, got {k!r}")
    checked = check_optional_positive_int(owner, "depth", depth, "keep every document")
    _import_ranx()
    return checked


def check_weights(owner: str, weights: Sequence[float] | None, num_runs: int | None) -> list[float] | None:
    """The fusion weights as floats (1 each when None and ``num_runs`` is known).

    Args:
        owner: Who checks (starts the messages).
        weights: One weight per run, or None.
        num_runs: The number of runs fused, or None when not known yet (the count is not checked then).

    Raises:
        ValueError: A weight is negative or not finite, all are 0, or their count is not ``num_runs``.
    """
    if weights is None:
        return None if num_runs is None else [1.0] * num_runs
    values = list(weights)
    if num_runs is not None and len(values) != num_runs:
        raise ValueError(f"{owner}: weights has {len(values)} values for {num_runs} runs; give one weight per run")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{owner}: weights must be finite numbers >= 0, got {value!r}")
    if not any(values):
        raise ValueError(f"{owner}: weights are all 0; at least one run must count")
    return [float(value) for value in values]


def _ranx_fuse(
    runs: list[Run],
    query_ids: list[str],
    method: str,
    normalization: str | None,
    weights: list[float],
    k: float,
) -> Run:
    """The fused scores, computed by ranx (see the module docstring)."""
    ranx = _import_ranx()
    from ranx.fusion import rrf, wsum
    from ranx.normalization import min_max_norm, zmuv_norm

    with warnings.catch_warnings():
        # numba warns about an integer cast inside ranx's RRF on every call; the scores are unaffected
        warnings.filterwarnings("ignore", message="unsafe cast from uint64 to int64")
        ranx_runs = [ranx.Run({query_id: run.get(query_id, {}) for query_id in query_ids}) for run in runs]
        if method == "rrf":
            ranx_runs = [rrf([run], k=k) for run in ranx_runs]
        elif normalization == "min-max":
            ranx_runs = [min_max_norm(run) for run in ranx_runs]
        elif normalization == "z-score":
            ranx_runs = [zmuv_norm(run) for run in ranx_runs]
        fused = {query_id: dict(scores) for query_id, scores in wsum(ranx_runs, weights).run.items()}
    if method == "combmnz":
        for query_id, scores in fused.items():
            for doc_id in scores:
                scores[doc_id] *= sum(1 for run in runs if doc_id in run.get(query_id, {}))
    return {
        str(query_id): {str(doc_id): float(score) for doc_id, score in scores.items()}
        for query_id, scores in fused.items()
    }


def _import_ranx() -> Any:
    try:
        import ranx
    except ImportError as error:
        raise ImportError("fuse_runs needs ranx; install it with pip install 'lightning-ir[report]'") from error
    return ranx
