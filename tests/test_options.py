"""Each string option is declared once, in lightning_ir/options.py, and every owner checks values against it."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from lightning_ir import (
    ApproxRankMSE,
    BiEncoderConfig,
    CrossEncoderConfig,
    FaissSearchConfig,
    InBatchCrossEntropy,
    LightningIRModel,
)
from lightning_ir import options as opt
from lightning_ir.retrieve.base.model_config import ScoringSettings
from lightning_ir.retrieve.base.scoring import aggregate_query_tokens
from lightning_ir.validation import option_values

PACKAGE = Path(__file__).resolve().parents[1] / "lightning_ir"
NOT_YET_MOVED: set[str] = set()
"""Packages whose vocabularies are still declared in place (none)."""


def _scoring_settings(**option: Any) -> ScoringSettings:
    values = {"model_type": "bi-encoder", "similarity_function": "dot", "query_aggregation_function": "sum", **option}
    return ScoringSettings(**values)


def _pooling(pooling_strategy: Any) -> torch.Tensor:
    return LightningIRModel._pooling(SimpleNamespace(), torch.ones(1, 2, 3), None, pooling_strategy)  # type: ignore[arg-type]


def _sparsification(strategy: Any) -> torch.Tensor:
    return LightningIRModel._sparsification(SimpleNamespace(), torch.ones(1, 2, 3), strategy)  # type: ignore[arg-type]


def _aggregate(aggregation: Any) -> torch.Tensor:
    return aggregate_query_tokens(torch.ones(1, 2, 3), torch.ones(1, 2, dtype=torch.bool), aggregation)


OWNERS: list[tuple[str, str, Callable[[Any], Any], Any]] = [
    ("BiEncoderConfig", "similarity_function", lambda v: BiEncoderConfig(similarity_function=v),
     opt.SimilarityFunction),
    ("BiEncoderConfig", "query_pooling_strategy", lambda v: BiEncoderConfig(query_pooling_strategy=v),
     opt.PoolingStrategy | None),
    ("BiEncoderConfig", "doc_pooling_strategy", lambda v: BiEncoderConfig(doc_pooling_strategy=v),
     opt.PoolingStrategy | None),
    ("BiEncoderConfig", "query_aggregation_function", lambda v: BiEncoderConfig(query_aggregation_function=v),
     opt.QueryAggregationFunction),
    ("BiEncoderConfig", "projection", lambda v: BiEncoderConfig(projection=v), opt.Projection | None),
    ("BiEncoderConfig", "sparsification", lambda v: BiEncoderConfig(sparsification=v),
     opt.SparsificationStrategy | None),
    ("BiEncoderConfig", "doc_mask_scoring_tokens", lambda v: BiEncoderConfig(doc_mask_scoring_tokens=v),
     opt.MaskScoringTokensPreset),
    ("CrossEncoderConfig", "pooling_strategy", lambda v: CrossEncoderConfig(pooling_strategy=v), opt.PoolingStrategy),
    ("SimpleNamespace", "pooling_strategy", _pooling, opt.PoolingStrategy | None),
    ("SimpleNamespace", "sparsification", _sparsification, opt.SparsificationStrategy | None),
    ("ApproxRankMSE", "discount", lambda v: ApproxRankMSE(discount=v), opt.RankDiscount | None),
    ("InBatchCrossEntropy", "pos_sampling_technique", lambda v: InBatchCrossEntropy(pos_sampling_technique=v),
     opt.PositiveSamplingTechnique),
    ("InBatchCrossEntropy", "neg_sampling_technique", lambda v: InBatchCrossEntropy(neg_sampling_technique=v),
     opt.NegativeSamplingTechnique),
    ("FaissSearchConfig", "imputation_strategy", lambda v: FaissSearchConfig(imputation_strategy=v),
     opt.ImputationStrategy | None),
    ("ScoringSettings", "similarity_function", lambda v: _scoring_settings(similarity_function=v),
     opt.SimilarityFunction),
    ("ScoringSettings", "query_aggregation_function", lambda v: _scoring_settings(query_aggregation_function=v),
     opt.QueryAggregationFunction),
    ("aggregate_query_tokens", "aggregation", _aggregate, opt.QueryAggregationFunction),
]  # fmt: skip


@pytest.mark.parametrize(("owner", "option", "build", "allowed"), OWNERS, ids=lambda x: x if isinstance(x, str) else "")
def test_owner_accepts_every_allowed_value_and_refuses_others(owner, option, build, allowed) -> None:
    for value in option_values(allowed):
        build(value)
    with pytest.raises(ValueError, match="must be one of the allowed values") as error:
        build("unknown")
    shown = ", ".join(repr(value) for value in option_values(allowed))
    assert str(error.value) == f"{owner}: {option} must be one of the allowed values {shown}; got 'unknown'"


def _string_literals(path: Path) -> list[int]:
    """Lines of ``Literal[...]`` subscripts with string values in a module."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "Literal":
            elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if any(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elements):
                lines.append(node.lineno)
    return lines


def test_string_options_are_declared_only_in_the_options_module() -> None:
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "options.py" and path.relative_to(PACKAGE).parts[0] not in NOT_YET_MOVED
        if (lines := _string_literals(path))
    }
    assert found == {}, f"declare these option sets in lightning_ir/options.py: {found}"
