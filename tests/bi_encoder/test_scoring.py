from __future__ import annotations

import pytest
import torch

from lightning_ir import BiEncoderConfig, BiEncoderEmbedding, ScoringFunction


def _embedding(values: list, mask: list | None = None) -> BiEncoderEmbedding:
    embeddings = torch.tensor(values, dtype=torch.float)
    scoring_mask = torch.ones(embeddings.shape[:2], dtype=torch.bool) if mask is None else torch.tensor(mask)
    return BiEncoderEmbedding(embeddings, scoring_mask)


def test_single_vector_dot_and_cosine() -> None:
    query = _embedding([[[1.0, 2.0]]])
    docs = _embedding([[[3.0, 4.0]], [[-1.0, 0.0]]])
    dot = ScoringFunction(BiEncoderConfig(similarity_function="dot"))
    torch.testing.assert_close(dot(query, docs, [2]), torch.tensor([11.0, -1.0]))
    cosine = ScoringFunction(BiEncoderConfig(similarity_function="cosine"))
    torch.testing.assert_close(cosine(query, docs, [2]), torch.tensor([11 / (5**0.5 * 5), -1 / 5**0.5]))


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    # query tokens q1=(1,0), q2=(0,1), q3 masked; doc tokens d1=(2,1), d2=(0,3), d3 masked=(9,9)
    # MaxSim: q1 -> max(2, 0) = 2; q2 -> max(1, 3) = 3
    [("sum", 5.0), ("mean", 2.5), ("max", 3.0), ("harmonic_mean", 2 / (1 / 2 + 1 / 3))],
)
def test_multi_vector_maxsim_and_aggregation(aggregation: str, expected: float) -> None:
    query = _embedding([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]], [[True, True, False]])
    doc = _embedding([[[2.0, 1.0], [0.0, 3.0], [9.0, 9.0]]], [[True, True, False]])
    scoring = ScoringFunction(BiEncoderConfig(query_aggregation_function=aggregation))
    torch.testing.assert_close(scoring(query, doc, 1), torch.tensor([expected]))
    torch.testing.assert_close(scoring.score_matrix(query, doc), torch.tensor([[expected]]))


def test_documents_are_matched_to_their_own_query() -> None:
    queries = _embedding([[[1.0, 0.0]], [[0.0, 1.0]]])
    docs = _embedding([[[2.0, 3.0]], [[4.0, 5.0]], [[6.0, 7.0]]])
    scoring = ScoringFunction(BiEncoderConfig())
    torch.testing.assert_close(scoring(queries, docs, [1, 2]), torch.tensor([2.0, 5.0, 7.0]))
    torch.testing.assert_close(scoring.score_matrix(queries, docs), torch.tensor([[2.0, 4.0, 6.0], [3.0, 5.0, 7.0]]))
    with pytest.raises(ValueError, match="num_docs"):
        scoring(queries, docs, [2, 2])
