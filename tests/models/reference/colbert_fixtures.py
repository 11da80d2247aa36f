"""The committed tiny ColBERT checkpoints and their reference scores, for ``tests/models/test_col_*.py``.

``colbert/colbert-ir`` was written by colbert-ai's ``BaseColBERT.save`` and ``colbert/pylate`` by PyLate's
``ColBERT.save`` (see :mod:`tests.models.reference.colbert_pylate_reference`, which also recorded the scores in
``colbert_reference_scores.json``; rerun it when the layouts or the references change).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from lightning_ir import BiEncoderModule
from tests.models.reference.colbert_pylate_reference import FOLDERS, SCORES_FILE, VARIANTS, make_variant

MAX_ABS_DIFFERENCE = 1e-4
"""The largest difference to a reference score the tests accept (fp32)."""


def reference_data() -> dict[str, Any]:
    """The recorded texts and scores (``queries``, ``docs``, and the scores of each reference)."""
    return json.loads(SCORES_FILE.read_text())


def reference_scores(family: str, variant: str) -> dict[str, torch.Tensor]:
    """Every recorded reference's ``(queries, docs)`` scores of a folder variant, by reference name and version."""
    data = reference_data()
    found = {}
    if family == "colbert-ir":
        found[data["colbert-ai"]["reference"]] = torch.tensor(data["colbert-ai"]["scores"][variant])
    found[data["pylate"]["reference"]] = torch.tensor(data["pylate"]["scores"][f"{family}/{variant}"])
    return found


def variant_folder(family: str, variant: str, directory: Path) -> Path:
    """A copy of the committed ``family`` folder (``"colbert-ir"`` / ``"pylate"``) as :data:`VARIANTS` describes."""
    return make_variant(FOLDERS / family, VARIANTS[family][variant], directory / f"{family}-{variant}")


def score_matrix(module: BiEncoderModule) -> torch.Tensor:
    """The module's ``(queries, docs)`` scores of the recorded texts."""
    data = reference_data()
    with torch.no_grad():
        return torch.stack([module.score(query, data["docs"]).scores for query in data["queries"]])


def assert_matches(scores: torch.Tensor, expected: torch.Tensor) -> float:
    """Check ``scores`` against a reference: within :data:`MAX_ABS_DIFFERENCE`, the same ranking per query.

    Returns:
        The largest absolute difference.
    """
    difference = (scores - expected).abs().max().item()
    assert difference <= MAX_ABS_DIFFERENCE
    assert scores.argsort(dim=1, descending=True).tolist() == expected.argsort(dim=1, descending=True).tolist()
    return difference
