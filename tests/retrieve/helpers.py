"""Helpers for the retrieval tests: model configs, index building, brute-force scoring in plain torch."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import torch

from lightning_ir.retrieve import IndexConfig, SearchConfig, SearchResult


def model_config(
    model_type: str = "bi-encoder", similarity_function: str = "dot", query_aggregation_function: str = "sum"
) -> SimpleNamespace:
    """A duck-typed bi-encoder config."""
    return SimpleNamespace(
        model_type=model_type,
        similarity_function=similarity_function,
        query_aggregation_function=query_aggregation_function,
        embedding_dim=None,
        to_dict=lambda: {"model_type": model_type, "similarity_function": similarity_function},
    )


def brute_force_scores(
    queries: torch.Tensor,
    query_mask: torch.Tensor,
    docs: torch.Tensor,
    doc_mask: torch.Tensor,
    similarity: str = "dot",
    aggregation: str = "sum",
) -> torch.Tensor:
    """Scores every query against every document with padded einsum (the bi-encoder's definition).

    Returns:
        ``(queries, docs)`` scores.
    """
    if similarity == "cosine":
        queries = torch.nn.functional.normalize(queries, dim=-1)
        docs = torch.nn.functional.normalize(docs, dim=-1)
    similarities = torch.einsum("qtd,bsd->qbts", queries, docs)
    similarities = similarities.masked_fill(~doc_mask[None, :, None, :], float("-inf"))
    token_scores = similarities.amax(dim=-1)  # (queries, docs, query_tokens)
    mask = query_mask[:, None, :].expand_as(token_scores)
    if aggregation == "max":
        return token_scores.masked_fill(~mask, float("-inf")).amax(-1)
    if aggregation == "harmonic_mean":
        return mask.sum(-1) / torch.where(mask, 1 / token_scores, torch.zeros(())).sum(-1)
    summed = torch.where(mask, token_scores, torch.zeros(())).sum(-1)
    return summed / mask.sum(-1) if aggregation == "mean" else summed


def build_index(
    index_dir: Path,
    index_config: IndexConfig,
    config: SimpleNamespace,
    embeddings: torch.Tensor,
    mask: torch.Tensor,
    batch_size: int = 7,
) -> Path:
    """Adds ``embeddings`` in batches with ids ``d0, d1, ...`` and saves the index."""
    indexer = index_config.indexer_class(index_dir, index_config, config)
    for start in range(0, embeddings.shape[0], batch_size):
        end = start + batch_size
        ids = [f"d{i}" for i in range(start, min(end, embeddings.shape[0]))]
        indexer.add(ids, embeddings[start:end], mask[start:end])
    return indexer.save()


def search(index_dir: Path, search_config: SearchConfig, config: SimpleNamespace, queries, query_mask) -> SearchResult:
    searcher = search_config.searcher_class(index_dir, search_config, config)
    return searcher.search(queries, query_mask)


def assert_matches_brute_force(result: SearchResult, expected_scores: torch.Tensor, k: int) -> None:
    """Result ids and scores equal the brute-force top-k."""
    top = expected_scores.topk(min(k, expected_scores.shape[1]), dim=1)
    for query, (scores, doc_ids) in enumerate(zip(result.scores, result.doc_ids, strict=True)):
        assert doc_ids == [f"d{i}" for i in top.indices[query].tolist()]
        torch.testing.assert_close(scores, top.values[query], rtol=1e-4, atol=1e-4)
