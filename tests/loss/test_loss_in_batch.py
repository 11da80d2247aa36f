"""In-batch cross entropy: which columns are positives and negatives, and the resulting values."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from lightning_ir.loss import InBatchCrossEntropy
from lightning_ir.loss.in_batch import known_positives


def _ns(**fields: Any) -> Any:
    """A stand-in for model outputs and batches: any object with the fields a loss reads."""
    return SimpleNamespace(**fields)


# 2 local queries with 2 documents each (columns 0-1 and 2-3) plus one query of another process (columns 4-5)
SCORES = [
    [2.0, 1.0, 0.5, -1.0, 0.0, 1.5],
    [0.0, 1.0, 3.0, 2.5, -0.5, 0.2],
]
TARGETS = [1.0, 0.0, 1.0, 1.0]  # query 1 has two positives


def _inputs() -> tuple[Any, Any]:
    output = _ns(scores=torch.tensor(SCORES, requires_grad=True))
    batch = _ns(queries=["q0", "q1"], docs=[["a", "b"], ["c", "d"]], targets=torch.tensor(TARGETS))
    return output, batch


def _columns(mask: torch.Tensor) -> list[list[int]]:
    return [row.nonzero().flatten().tolist() for row in mask]


@pytest.mark.parametrize(
    ("pos_technique", "expected"),
    [("first", [[0], [2]]), ("all", [[0], [2, 3]])],
)
def test_positive_columns(pos_technique: str, expected: list[list[int]]) -> None:
    output, batch = _inputs()
    loss = InBatchCrossEntropy(pos_sampling_technique=pos_technique)  # type: ignore[arg-type]
    assert _columns(loss.positive_mask(output.scores, 2, batch)) == expected


NEGATIVE_COLUMNS = {
    # (pos technique, neg technique): negative columns of query 0 and query 1
    ("first", "first"): [[2, 4], [0, 4]],
    ("first", "all"): [[1, 2, 3, 4, 5], [0, 1, 3, 4, 5]],
    ("first", "all_and_non_first"): [[1, 2, 3, 4, 5], [0, 1, 3, 4, 5]],
    ("all", "first"): [[2, 4], [0, 4]],
    ("all", "all"): [[1, 2, 3, 4, 5], [0, 1, 4, 5]],
    # own non-first documents that are positives (query 1's column 3) are never negatives
    ("all", "all_and_non_first"): [[1, 2, 3, 4, 5], [0, 1, 4, 5]],
}


@pytest.mark.parametrize(("techniques", "expected"), list(NEGATIVE_COLUMNS.items()))
def test_negative_columns_and_loss_value(techniques: tuple[str, str], expected: list[list[int]]) -> None:
    pos_technique, neg_technique = techniques
    output, batch = _inputs()
    loss_function = InBatchCrossEntropy(pos_technique, neg_technique)  # type: ignore[arg-type]
    positives = loss_function.positive_mask(output.scores, 2, batch)
    assert _columns(loss_function.negative_mask(output.scores, 2, positives)) == expected

    per_positive = []
    for query, positive_columns in enumerate(_columns(positives)):
        for p in positive_columns:
            logits = [SCORES[query][p]] + [SCORES[query][n] for n in expected[query]]
            per_positive.append(-logits[0] + math.log(sum(math.exp(x) for x in logits)))
    loss = loss_function.compute_loss(output, batch)
    assert loss.item() == pytest.approx(sum(per_positive) / len(per_positive), rel=1e-6)
    loss.backward()
    assert torch.isfinite(output.scores.grad).all()
    used = positives | loss_function.negative_mask(output.scores, 2, positives)
    assert torch.all(output.scores.grad[~used] == 0)  # columns that are not used get no gradient


def test_max_num_neg_samples_draws_a_subset_of_negatives() -> None:
    output, batch = _inputs()
    loss_function = InBatchCrossEntropy("first", "all", max_num_neg_samples=2)
    positives = loss_function.positive_mask(output.scores, 2, batch)
    negatives = loss_function.negative_mask(output.scores, 2, positives)
    torch.manual_seed(0)
    seen = set()
    for _ in range(20):
        sampled = loss_function.sample_negatives(negatives)
        assert sampled.sum(dim=1).tolist() == [2, 2]
        assert not (sampled & ~negatives).any()
        seen.add(tuple(map(tuple, _columns(sampled))))
    assert len(seen) > 1  # drawn at random
    assert torch.isfinite(loss_function.compute_loss(output, batch))


def test_query_without_negatives_contributes_zero() -> None:
    output = _ns(scores=torch.tensor([[1.0, 2.0]], requires_grad=True))
    batch = _ns(docs=[["a", "b"]], targets=torch.tensor([1.0, 0.0]))
    loss = InBatchCrossEntropy("first", "first").compute_loss(output, batch)  # a single query: no other query
    loss.backward()
    assert loss.item() == 0.0
    assert torch.isfinite(output.scores.grad).all()


def test_batch_without_positives_is_rejected() -> None:
    output = _ns(scores=torch.zeros(1, 2))
    batch = _ns(docs=[["a", "b"]], targets=torch.tensor([0.0, 0.0]))
    with pytest.raises(ValueError, match="no positive documents"):
        InBatchCrossEntropy().compute_loss(output, batch)


def test_flat_scores_are_rejected_with_a_bi_encoder_hint() -> None:
    output = _ns(scores=torch.zeros(4))
    batch = _ns(docs=[["a", "b"], ["c", "d"]], targets=torch.tensor([1.0, 0.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match="only bi-encoder modules"):
        InBatchCrossEntropy().compute_loss(output, batch)
    assert InBatchCrossEntropy.requires_bi_encoder


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="neg_sampling_technique"):
        InBatchCrossEntropy(neg_sampling_technique="random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_num_neg_samples"):
        InBatchCrossEntropy(max_num_neg_samples=0)


def test_temperature_divides_the_scores() -> None:
    scores = torch.tensor([[0.2, 0.1], [0.0, 0.3]])
    batch = SimpleNamespace(docs=[["p"], ["p"]], targets=torch.tensor([1.0, 1.0]))
    loss = InBatchCrossEntropy(pos_sampling_technique="first", temperature=0.1)
    value = loss.compute_loss(SimpleNamespace(scores=scores), batch).item()
    expected = (-math.log(math.exp(2) / (math.exp(2) + math.exp(1))) - math.log(math.exp(3) / (math.exp(3) + 1))) / 2
    assert abs(value - expected) < 1e-5
    with pytest.raises(ValueError, match="temperature"):
        InBatchCrossEntropy(temperature=0)


def test_documents_known_relevant_are_never_negatives() -> None:
    # rows 0 and 1 are two tuples of query "qa" (positives a and b); row 2 is query "qb", whose negative is "a"
    scores = torch.tensor(
        [
            [2.0, 0.0, 1.0, 0.5, 0.3, 0.7],
            [0.1, 0.2, 3.0, 0.0, 0.4, 0.6],
            [1.5, 0.0, 0.2, 0.3, 2.5, 0.9],
        ],
        requires_grad=True,
    )
    batch = _ns(
        docs=[["A", "N"], ["B", "M"], ["C", "A"]],
        doc_ids=[["a", "n"], ["b", "m"], ["c", "a"]],
        query_ids=["qa", "qa", "qb"],
        qrels=[{"query_id": "qb", "doc_id": "m", "iteration": "0", "relevance": 1}],
        targets=torch.tensor([1.0, 0.0] * 3),
    )
    loss_function = InBatchCrossEntropy("first", "all")
    positives = loss_function.positive_mask(scores, 2, batch)
    known = known_positives(scores, 2, positives, batch)
    # qa: its positives a (columns 0 and 5) and b (column 2); qb: its positive c and the judged-relevant m
    assert _columns(known) == [[0, 2, 5], [0, 2, 5], [3, 4]]
    loss = loss_function.compute_loss(_ns(scores=scores), batch)
    negatives = [[1, 3, 4], [1, 3, 4], [0, 1, 2, 5]]
    values = scores.tolist()
    expected = [
        math.log1p(sum(math.exp(values[row][column] - values[row][positive]) for column in negatives[row]))
        for row, positive in enumerate([0, 2, 4])
    ]
    assert loss.item() == pytest.approx(sum(expected) / 3, rel=1e-6)


def test_known_positives_need_document_ids() -> None:
    output, batch = _inputs()
    loss_function = InBatchCrossEntropy("first", "all")
    scores = output.scores
    assert not known_positives(scores, 2, loss_function.positive_mask(scores, 2, batch), batch).any()


def test_without_query_ids_rows_are_separate_queries() -> None:
    scores = torch.zeros(2, 4)
    batch = _ns(
        docs=[["A", "N"], ["B", "A"]],
        doc_ids=[["a", "n"], ["b", "a"]],
        qrels=[{"query_id": "0", "doc_id": "n", "iteration": "0", "relevance": 1}],
    )
    positives = InBatchCrossEntropy("first", "all").positive_mask(scores, 2, batch)
    # row 0's positive "a" is masked wherever it appears; the qrels name query "0", which no row is known to be
    assert _columns(known_positives(scores, 2, positives, batch)) == [[0, 3], [2]]
