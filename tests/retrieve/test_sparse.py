"""Sparse search equals dense brute force without a full (queries x docs) matrix."""

from __future__ import annotations

import pytest
import torch

from lightning_ir.retrieve import SparseIndexConfig, SparseSearchConfig
from lightning_ir.retrieve.sparse import searcher as sparse_searcher

from .helpers import assert_matches_brute_force, brute_force_scores, build_index, model_config, search


def sparse_vectors(num: int, vocab: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    values = torch.rand(num, 1, vocab, generator=generator)
    return torch.where(torch.rand(num, 1, vocab, generator=generator) < 0.05, values, torch.zeros(()))


def counting_blocks(monkeypatch, blocks: list[int]) -> None:
    """Records the number of documents of every block the sparse searcher scores."""
    original = sparse_searcher.SparseSearcher._blocks

    def blocks_recorded(self, docs_per_block):
        for start, matrix in original(self, docs_per_block):
            blocks.append(matrix.shape[0])
            yield start, matrix

    monkeypatch.setattr(sparse_searcher.SparseSearcher, "_blocks", blocks_recorded)


@pytest.mark.parametrize("in_memory", [True, False])
@pytest.mark.parametrize("similarity", ["dot", "cosine"])
def test_sparse_matches_dense_brute_force(tmp_path, similarity, in_memory, monkeypatch):
    blocks: list[int] = []
    monkeypatch.setattr(sparse_searcher, "BLOCK_ELEMENTS", 1)  # blocks of 1024 documents
    counting_blocks(monkeypatch, blocks)
    docs, queries = sparse_vectors(3000, 500, seed=0), sparse_vectors(5, 500, seed=1)
    doc_mask, query_mask = torch.ones(3000, 1, dtype=torch.bool), torch.ones(5, 1, dtype=torch.bool)
    doc_mask[7] = False  # a document without a scoring vector scores 0
    config = model_config("splade", similarity)
    index_dir = build_index(tmp_path / "index", SparseIndexConfig(), config, docs, doc_mask, batch_size=512)

    result = search(index_dir, SparseSearchConfig(k=10, in_memory=in_memory), config, queries, query_mask)

    expected = brute_force_scores(
        queries, query_mask, docs * doc_mask[:, :, None], torch.ones_like(doc_mask), similarity
    )
    assert_matches_brute_force(result, expected, k=10)
    assert max(blocks) == 1024  # never all 3000 documents at once
    assert sum(blocks) == 3000


def test_sparse_index_rejects_multi_vector_batches(tmp_path):
    indexer = SparseIndexConfig().indexer_class(tmp_path / "i", SparseIndexConfig(), model_config("splade"))
    with pytest.raises(ValueError, match=r"one vector per document"):
        indexer.add(["a"], torch.rand(1, 2, 10), torch.ones(1, 2, dtype=torch.bool))
    assert indexer.num_docs == 0
