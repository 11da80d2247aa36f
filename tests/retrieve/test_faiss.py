"""faiss indexes: exact ones equal brute force, approximate ones reach recall@10 >= 0.9."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("faiss")

from lightning_ir.retrieve import (  # noqa: E402
    FaissFlatIndexConfig,
    FaissIVFIndexConfig,
    FaissIVFPQIndexConfig,
    FaissSearchConfig,
    TorchDenseIndexConfig,
    TorchDenseSearchConfig,
)
from lightning_ir.retrieve.base.sampling import sample_vectors  # noqa: E402

from .helpers import assert_matches_brute_force, brute_force_scores, build_index, model_config, search  # noqa: E402


def clustered_vectors(num_docs: int = 20_000, num_queries: int = 200, dim: int = 64, seed: int = 0):
    """Documents and queries around 100 cluster centres in a low-dimensional subspace (like real embeddings)."""
    generator = torch.Generator().manual_seed(seed)
    projection = torch.randn(8, dim, generator=generator)
    centres = torch.randn(100, 8, generator=generator) * 3

    def sample(num: int) -> torch.Tensor:
        latent = centres[torch.randint(0, 100, (num,), generator=generator)] + torch.randn(num, 8, generator=generator)
        return (latent @ projection + 0.05 * torch.randn(num, dim, generator=generator))[:, None]

    return sample(num_docs), sample(num_queries)


@pytest.fixture(scope="module")
def clustered(tmp_path_factory):
    docs, queries = clustered_vectors()
    config = model_config(similarity_function="cosine")
    ones = torch.ones(docs.shape[0], 1, dtype=torch.bool)
    exact_dir = build_index(
        tmp_path_factory.mktemp("exact") / "index", TorchDenseIndexConfig(), config, docs, ones, 5000
    )
    query_mask = torch.ones(queries.shape[0], 1, dtype=torch.bool)
    exact = search(exact_dir, TorchDenseSearchConfig(k=10), config, queries, query_mask)
    return docs, queries, config, exact


def test_flat_single_vector_matches_brute_force(tmp_path):
    generator = torch.Generator().manual_seed(4)
    docs, queries = torch.randn(60, 1, 16, generator=generator), torch.randn(5, 1, 16, generator=generator)
    ones = torch.ones(60, 1, dtype=torch.bool)
    config = model_config()
    index_dir = build_index(tmp_path / "index", FaissFlatIndexConfig(), config, docs, ones)
    result = search(index_dir, FaissSearchConfig(k=10), config, queries, torch.ones(5, 1, dtype=torch.bool))
    assert_matches_brute_force(result, brute_force_scores(queries, ones[:5], docs, ones), k=10)
    assert not (index_dir / "embeddings.npy").exists()


@pytest.mark.parametrize(
    ("index_config", "search_config"),
    [
        (FaissIVFIndexConfig(num_centroids=128), FaissSearchConfig(k=10, n_probe=8)),
        (
            FaissIVFPQIndexConfig(num_train_embeddings=4000, num_centroids=64, num_subquantizers=8, n_bits=6),
            FaissSearchConfig(k=10, n_probe=8, candidate_k=100),
        ),
    ],
    ids=["ivf", "ivfpq"],
)
def test_approximate_recall_at_10(tmp_path, clustered, index_config, search_config):
    docs, queries, config, exact = clustered
    ones = torch.ones(docs.shape[0], 1, dtype=torch.bool)
    index_dir = build_index(tmp_path / "index", index_config, config, docs, ones, batch_size=5000)

    result = search(index_dir, search_config, config, queries, torch.ones(queries.shape[0], 1, dtype=torch.bool))

    hits = sum(len(set(got) & set(want)) for got, want in zip(result.doc_ids, exact.doc_ids, strict=True))
    recall = hits / (10 * queries.shape[0])
    assert recall >= 0.9, f"recall@10 {recall:.3f}"


@pytest.mark.parametrize("index_config", [FaissFlatIndexConfig(), FaissIVFIndexConfig(num_centroids=4)])
@pytest.mark.parametrize("imputation_strategy", [None, "gather"])
def test_multi_vector_matches_exact_max_sim(tmp_path, random_multi_vector, index_config, imputation_strategy):
    docs, doc_mask = random_multi_vector(60, 8, 16, seed=5)
    queries, query_mask = random_multi_vector(4, 5, 16, seed=6)
    config = model_config("col", "cosine", "mean")
    index_dir = build_index(tmp_path / "index", index_config, config, docs, doc_mask)
    # every token is a candidate, so candidate documents cover the whole collection: results must be exact
    search_config = FaissSearchConfig(k=5, candidate_k=1000, imputation_strategy=imputation_strategy, n_probe=4)

    result = search(index_dir, search_config, config, queries, query_mask)

    assert_matches_brute_force(result, brute_force_scores(queries, query_mask, docs, doc_mask, "cosine", "mean"), k=5)


def test_multi_vector_min_imputation_ranks_retrieved_documents(tmp_path, random_multi_vector):
    docs, doc_mask = random_multi_vector(60, 8, 16, seed=7)
    queries, query_mask = docs[:3, :5].clone(), doc_mask[:3, :5].clone()  # queries copied from d0, d1, d2
    config = model_config("col", "dot", "sum")
    index_dir = build_index(tmp_path / "index", FaissFlatIndexConfig(), config, docs, doc_mask)

    result = search(
        index_dir, FaissSearchConfig(k=3, candidate_k=2, imputation_strategy="min"), config, queries, query_mask
    )

    assert [ids[0] for ids in result.doc_ids] == ["d0", "d1", "d2"]
    assert all(len(ids) <= 3 for ids in result.doc_ids)


def test_ivf_trains_on_a_random_sample_of_all_shards(tmp_path):
    vectors = np.arange(1000, dtype=np.float32).reshape(-1, 1).repeat(4, axis=1)
    np.save(tmp_path / "a.npy", vectors[:300])
    np.save(tmp_path / "b.npy", vectors[300:])
    sample = sample_vectors([tmp_path / "a.npy", tmp_path / "b.npy"], 100)
    assert sample.shape == (100, 4)
    assert len(np.unique(sample[:, 0])) == 100
    assert sample[:, 0].max() > 500  # not the first 100 rows
    assert sample[:, 0].min() < 300  # from both files
    assert (np.diff(sample[:, 0]) > 0).all()


def test_ivf_stores_index_config(tmp_path):
    docs = torch.randn(500, 1, 8)
    with pytest.warns(UserWarning, match=r"num_centroids=262144 is too many for 500 training vectors"):
        index_dir = build_index(
            tmp_path / "i", FaissIVFIndexConfig(), model_config(), docs, torch.ones(500, 1, dtype=torch.bool), 100
        )
    stored = json.loads((index_dir / "config.json").read_text())
    assert stored["index_type"] == "faiss-ivf"
    assert stored["index_config"]["num_centroids"] == 262144
