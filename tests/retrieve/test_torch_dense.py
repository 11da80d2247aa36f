"""Exact torch search equals brute-force bi-encoder scoring."""

from __future__ import annotations

import json

import pytest
import torch

from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig, TorchDenseSearcher
from lightning_ir.retrieve.torch import searcher as torch_searcher

from .helpers import assert_matches_brute_force, brute_force_scores, build_index, model_config, search


@pytest.mark.parametrize("similarity", ["dot", "cosine"])
def test_single_vector_matches_brute_force(tmp_path, similarity, monkeypatch):
    monkeypatch.setattr(torch_searcher, "BLOCK_ELEMENTS", 64)  # several document blocks
    generator = torch.Generator().manual_seed(1)
    docs, queries = torch.randn(50, 1, 16, generator=generator), torch.randn(4, 1, 16, generator=generator)
    doc_mask, query_mask = torch.ones(50, 1, dtype=torch.bool), torch.ones(4, 1, dtype=torch.bool)
    config = model_config(similarity_function=similarity)
    index_dir = build_index(tmp_path / "index", TorchDenseIndexConfig(), config, docs, doc_mask)

    result = search(index_dir, TorchDenseSearchConfig(k=5), config, queries, query_mask)

    assert_matches_brute_force(result, brute_force_scores(queries, query_mask, docs, doc_mask, similarity), k=5)
    metadata = json.loads((index_dir / "config.json").read_text())
    assert metadata["num_docs"] == 50
    assert metadata["dim"] == 16
    assert metadata["multi_vector"] is False


@pytest.mark.parametrize("aggregation", ["sum", "mean", "max", "harmonic_mean"])
@pytest.mark.parametrize("similarity", ["dot", "cosine"])
def test_multi_vector_matches_max_sim(tmp_path, random_multi_vector, similarity, aggregation, monkeypatch):
    monkeypatch.setattr(torch_searcher, "BLOCK_ELEMENTS", 2000)
    docs, doc_mask = random_multi_vector(40, 6, 8, seed=2)
    queries, query_mask = random_multi_vector(3, 4, 8, seed=3)
    if aggregation == "harmonic_mean":  # defined for positive scores
        docs, queries = docs.abs(), queries.abs()
    config = model_config("col", similarity, aggregation)
    index_dir = build_index(tmp_path / "index", TorchDenseIndexConfig(), config, docs, doc_mask)

    result = search(index_dir, TorchDenseSearchConfig(k=7), config, queries, query_mask)

    expected = brute_force_scores(queries, query_mask, docs, doc_mask, similarity, aggregation)
    assert_matches_brute_force(result, expected, k=7)
    stored = json.loads((index_dir / "config.json").read_text())
    assert stored["multi_vector"] is True
    assert stored["num_embeddings"] == int(doc_mask.sum())


def test_k_larger_than_collection_returns_all_documents(tmp_path):
    docs = torch.randn(3, 1, 4)
    config = model_config()
    index_dir = build_index(
        tmp_path / "index", TorchDenseIndexConfig(), config, docs, torch.ones(3, 1, dtype=torch.bool)
    )
    scores, doc_ids = search(
        index_dir, TorchDenseSearchConfig(k=10), config, torch.randn(2, 1, 4), torch.ones(2, 1, dtype=torch.bool)
    )
    assert [len(ids) for ids in doc_ids] == [3, 3]
    assert all(bool((row[:-1] >= row[1:]).all()) for row in scores)


def test_searcher_exposes_doc_count(tmp_path):
    config = model_config()
    index_dir = build_index(
        tmp_path / "i", TorchDenseIndexConfig(), config, torch.randn(5, 1, 4), torch.ones(5, 1, dtype=torch.bool)
    )
    assert TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), config).num_docs == 5
