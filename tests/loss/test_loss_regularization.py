"""Regularisation losses against hand-computed values."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch

from lightning_ir.loss import FLOPSRegularization, L1Regularization, L2Regularization


def _ns(**fields: Any) -> Any:
    """A stand-in for model outputs and batches: any object with the fields a loss reads."""
    return SimpleNamespace(**fields)


def _output() -> Any:
    # queries: 2 x 2 vectors of dim 3; the second vector of query 1 does not take part in scoring
    query_embeddings = torch.tensor(
        [[[1.0, -2.0, 0.0], [0.0, 1.0, 1.0]], [[3.0, 0.0, -1.0], [100.0, 100.0, 100.0]]], requires_grad=True
    )
    query_mask = torch.tensor([[True, True], [True, False]])
    doc_embeddings = torch.tensor([[[2.0, 0.0, 0.0]], [[0.0, 0.0, -4.0]]], requires_grad=True)
    doc_mask = torch.tensor([[True], [True]])
    return _ns(
        scores=torch.zeros(2),
        query_embeddings=_ns(embeddings=query_embeddings, scoring_mask=query_mask),
        doc_embeddings=_ns(embeddings=doc_embeddings, scoring_mask=doc_mask),
    )


# scoring query vectors: [1, -2, 0], [0, 1, 1], [3, 0, -1]; doc vectors: [2, 0, 0], [0, 0, -4]
EXPECTED = {
    L1Regularization: ((3 + 2 + 4) / 3, (2 + 4) / 2),
    L2Regularization: ((5 + 2 + 10) / 3, (4 + 16) / 2),
    # FLOPS: per dimension, mean |w| over vectors, squared, summed
    FLOPSRegularization: ((4 / 3) ** 2 + 1**2 + (2 / 3) ** 2, 1**2 + 0**2 + 2**2),
}


@pytest.mark.parametrize("loss_class", list(EXPECTED))
def test_regularization_matches_hand_computation(loss_class) -> None:
    output = _output()
    query_value, doc_value = EXPECTED[loss_class]
    loss = loss_class(query_weight=0.5, doc_weight=2.0).compute_loss(output)
    assert loss.item() == pytest.approx(0.5 * query_value + 2.0 * doc_value, rel=1e-6)
    loss.backward()
    grad = output.query_embeddings.embeddings.grad
    assert torch.isfinite(grad).all()
    assert torch.equal(grad[1, 1], torch.zeros(3))  # masked vectors get no gradient


def test_default_weights_and_batch_argument() -> None:
    output = _output()
    loss = L1Regularization()
    assert (loss.query_weight, loss.doc_weight) == (1e-4, 1e-4)
    assert loss.compute_loss(output, _ns()).item() == pytest.approx(1e-4 * 3 + 1e-4 * 3, rel=1e-6)


def test_no_scoring_vectors_gives_zero() -> None:
    output = _output()
    output.query_embeddings.scoring_mask = torch.zeros(2, 2, dtype=torch.bool)
    output.doc_embeddings.scoring_mask = torch.zeros(2, 1, dtype=torch.bool)
    loss = FLOPSRegularization().compute_loss(output)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(output.query_embeddings.embeddings.grad).all()


def test_cross_encoder_output_is_rejected() -> None:
    output = _ns(scores=torch.zeros(2), embeddings=torch.zeros(2, 4))
    with pytest.raises(ValueError, match="FLOPSRegularization: the model output has no query_embeddings"):
        FLOPSRegularization().compute_loss(output)
