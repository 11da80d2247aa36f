"""Exact torch search equals brute-force bi-encoder scoring."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lightning_ir.retrieve import IndexFormatError, TorchDenseIndexConfig, TorchDenseSearchConfig, TorchDenseSearcher
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


@pytest.mark.parametrize("precision", ["float32", "bfloat16", "int8"])
@pytest.mark.parametrize("multi_vector", [False, True])
def test_search_from_disk_equals_search_in_memory(tmp_path, random_multi_vector, monkeypatch, precision, multi_vector):
    if precision == "int8":
        pytest.importorskip("faiss")
    monkeypatch.setattr(torch_searcher, "DOC_BLOCK", 16)  # many blocks read from disk
    monkeypatch.setattr(torch_searcher, "BLOCK_ELEMENTS", 3000)
    seq = 5 if multi_vector else 1
    docs, doc_mask = random_multi_vector(200, seq, 8, seed=7)
    queries, query_mask = random_multi_vector(4, 3 if multi_vector else 1, 8, seed=8)
    config = model_config("col" if multi_vector else "bi-encoder", "cosine")
    index_config = TorchDenseIndexConfig(precision=precision)
    index_dir = build_index(tmp_path / "index", index_config, config, docs[:120], doc_mask[:120], batch_size=50)
    indexer = index_config.indexer_class(index_dir, index_config, config, mode="add")  # a second shard
    indexer.add([f"d{i}" for i in range(120, 200)], docs[120:], doc_mask[120:])
    indexer.save()

    in_memory = search(index_dir, TorchDenseSearchConfig(k=9), config, queries, query_mask)
    from_disk_searcher = TorchDenseSearcher(index_dir, TorchDenseSearchConfig(k=9, in_memory=False), config)
    from_disk = from_disk_searcher.search(queries, query_mask)

    assert from_disk_searcher.store.stored is None  # nothing but document lengths and ids is held in memory
    assert from_disk.doc_ids == in_memory.doc_ids
    for got, want in zip(from_disk.scores, in_memory.scores, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
    if precision == "float32":
        expected = brute_force_scores(queries, query_mask, docs, doc_mask, "cosine")
        assert_matches_brute_force(from_disk, expected, k=9)


def test_non_finite_vectors_are_refused_when_searching_from_disk(tmp_path):
    docs = torch.randn(6, 1, 4)
    index_dir = build_index(tmp_path / "index", TorchDenseIndexConfig(), model_config(), docs, torch.ones(6, 1).bool())
    array = np.load(index_dir / "embeddings.npy")
    array[4, 1] = np.inf
    np.save(index_dir / "embeddings.npy", array)
    with pytest.raises(IndexFormatError, match=r"embeddings.npy holds a non-finite value .* in row 4"):
        TorchDenseSearcher(index_dir, TorchDenseSearchConfig(in_memory=False), model_config())
