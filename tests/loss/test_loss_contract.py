"""What every loss promises: a finite differentiable scalar, picklable, buildable from YAML, documented examples."""

from __future__ import annotations

import doctest
import importlib
import pickle
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from jsonargparse import ArgumentParser

from lightning_ir import loss as loss_package
from lightning_ir.loss import (
    ApproxMRR,
    ApproxNDCG,
    ApproxRankMSE,
    ConstantMarginMSE,
    FLOPSRegularization,
    InBatchCrossEntropy,
    KLDivergence,
    L1Regularization,
    L2Regularization,
    LocalizedContrastiveEstimation,
    LossFunction,
    RankNet,
    RegularizationLossFunction,
    SupervisedMarginMSE,
)


def _ns(**fields: Any) -> Any:
    """A stand-in for model outputs and batches: any object with the fields a loss reads."""
    return SimpleNamespace(**fields)


SCORING_LOSSES = [
    RankNet(),
    ConstantMarginMSE(),
    SupervisedMarginMSE(),
    KLDivergence(),
    LocalizedContrastiveEstimation(),
    ApproxNDCG(),
    ApproxMRR(),
    ApproxRankMSE(discount="log2"),
]
ALL_LOSSES = [*SCORING_LOSSES, InBatchCrossEntropy(), L1Regularization(), L2Regularization(), FLOPSRegularization()]


def _output_and_batch(num_queries: int = 3, num_docs: int = 4) -> tuple[Any, Any]:
    torch.manual_seed(0)
    query = _ns(
        embeddings=torch.randn(num_queries, 5, 8, requires_grad=True), scoring_mask=torch.rand(num_queries, 5) > 0.3
    )
    doc = _ns(
        embeddings=torch.randn(num_queries * num_docs, 1, 8, requires_grad=True),
        scoring_mask=torch.ones(num_queries * num_docs, 1, dtype=torch.bool),
    )
    flat_scores = torch.randn(num_queries * num_docs, requires_grad=True)
    in_batch_scores = torch.randn(num_queries, num_queries * num_docs, requires_grad=True)
    targets = torch.tensor([1.0, 0.0, 0.0, 0.0] * num_queries)
    batch = _ns(
        queries=[f"q{i}" for i in range(num_queries)],
        docs=[[f"d{i}" for i in range(num_docs)] for _ in range(num_queries)],
        targets=targets,
    )
    output = _ns(scores=flat_scores, query_embeddings=query, doc_embeddings=doc)
    output.in_batch_scores = in_batch_scores
    return output, batch


@pytest.mark.parametrize("loss_function", ALL_LOSSES, ids=lambda loss: type(loss).__name__)
def test_loss_is_a_finite_differentiable_scalar(loss_function: LossFunction) -> None:
    output, batch = _output_and_batch()
    if isinstance(loss_function, InBatchCrossEntropy):
        output.scores = output.in_batch_scores
    loss = loss_function.compute_loss(output, batch)
    assert loss.shape == ()
    assert torch.isfinite(loss)
    loss.backward()
    if isinstance(loss_function, RegularizationLossFunction):
        grads = [output.query_embeddings.embeddings.grad, output.doc_embeddings.embeddings.grad]
    else:
        grads = [output.scores.grad]
    assert all(grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0 for grad in grads)


@pytest.mark.parametrize("loss_function", ALL_LOSSES, ids=lambda loss: type(loss).__name__)
def test_loss_is_picklable_with_readable_repr(loss_function: LossFunction) -> None:
    restored = pickle.loads(pickle.dumps(loss_function))
    assert type(restored) is type(loss_function)
    assert vars(restored) == vars(loss_function)
    assert repr(loss_function).startswith(type(loss_function).__name__ + "(")


def test_repr_lists_hyperparameters() -> None:
    assert repr(ApproxNDCG(temperature=0.5)) == "ApproxNDCG(temperature=0.5, scale_gains=True)"


def test_losses_are_built_from_class_path_and_init_args() -> None:
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--loss_functions", type=list[LossFunction])
    config = parser.parse_object(
        {
            "loss_functions": [
                {"class_path": "lightning_ir.loss.RankNet"},
                {
                    "class_path": "lightning_ir.loss.InBatchCrossEntropy",
                    "init_args": {"max_num_neg_samples": 8},
                },
                {"class_path": "lightning_ir.loss.ApproxRankMSE", "init_args": {"discount": "reciprocal"}},
                {"class_path": "lightning_ir.loss.FLOPSRegularization", "init_args": {"query_weight": 0.1}},
            ]
        }
    )
    losses = parser.instantiate(config).loss_functions
    assert [type(loss) for loss in losses] == [RankNet, InBatchCrossEntropy, ApproxRankMSE, FLOPSRegularization]
    assert losses[1].max_num_neg_samples == 8
    assert losses[2].discount == "reciprocal"
    assert (losses[3].query_weight, losses[3].doc_weight) == (0.1, 1e-4)


def test_yaml_with_an_invalid_option_fails() -> None:
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--loss", type=LossFunction)
    with pytest.raises(Exception, match="neg_sampling_technique"):
        parser.parse_object(
            {
                "loss": {
                    "class_path": "lightning_ir.loss.InBatchCrossEntropy",
                    "init_args": {"neg_sampling_technique": "x"},
                }
            }
        )


@pytest.mark.parametrize("module", ["approximate", "in_batch", "listwise", "pairwise", "regularization"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"lightning_ir.loss.{module}"))
    assert result.attempted > 0
    assert result.failed == 0


def test_every_public_name_is_exported() -> None:
    assert sorted(loss_package.__all__) == loss_package.__all__
    assert all(hasattr(loss_package, name) for name in loss_package.__all__)
