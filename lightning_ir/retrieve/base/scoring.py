"""Bi-encoder scoring on stored vectors: similarity, MaxSim over document tokens, query-token aggregation."""

from __future__ import annotations

import torch

from ...options import QueryAggregationFunction
from ...validation import check_option


def normalize(embeddings: torch.Tensor) -> torch.Tensor:
    """L2-normalises the last dimension (zero vectors stay zero)."""
    return torch.nn.functional.normalize(embeddings, p=2, dim=-1)


def doc_offsets(doc_lengths: torch.Tensor) -> torch.Tensor:
    """Start position of every document's vectors, given the number of vectors per document.

    Args:
        doc_lengths: ``(num_docs,)`` integer lengths.

    Returns:
        ``(num_docs,)`` int64 offsets (exclusive cumulative sum).
    """
    offsets = torch.zeros_like(doc_lengths, dtype=torch.int64)
    if doc_lengths.numel() > 1:
        offsets[1:] = torch.cumsum(doc_lengths[:-1].to(torch.int64), dim=0)
    return offsets


def max_sim(
    query_tokens: torch.Tensor, doc_tokens: torch.Tensor, offsets: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """For every query vector, the maximum similarity over each document's vectors (MaxSim).

    Documents are gathered into a padded batch ``(docs, max_len)`` of positions into ``doc_tokens``.

    Args:
        query_tokens: ``(num_query_tokens, dim)`` query vectors.
        doc_tokens: ``(num_doc_tokens, dim)`` document vectors.
        offsets: ``(num_docs,)`` start of each document in ``doc_tokens``.
        lengths: ``(num_docs,)`` number of vectors of each document.

    Returns:
        ``(num_query_tokens, num_docs)`` similarities; ``-inf`` for documents without vectors.
    """
    num_docs = lengths.shape[0]
    max_length = int(lengths.max()) if num_docs else 0
    if max_length == 0:
        return query_tokens.new_full((query_tokens.shape[0], num_docs), float("-inf"))
    similarities = query_tokens @ doc_tokens.T
    if max_length == 1 and bool((lengths == 1).all()):
        return similarities[:, offsets]
    steps = torch.arange(max_length, device=lengths.device)
    valid = steps[None, :] < lengths[:, None]
    positions = torch.where(valid, offsets[:, None] + steps[None, :], 0)
    padded = similarities[:, positions]
    padded.masked_fill_(~valid, float("-inf"))
    return padded.amax(dim=-1)


def aggregate_query_tokens(
    token_scores: torch.Tensor, query_mask: torch.Tensor, aggregation: QueryAggregationFunction
) -> torch.Tensor:
    """Combines per-query-token scores into one score per (query, document) pair.

    Args:
        token_scores: ``(queries, query_tokens, docs)`` scores of every query token against every document.
        query_mask: ``(queries, query_tokens)`` bool, True for tokens that take part in scoring.
        aggregation: ``"sum"``, ``"mean"``, ``"max"`` or ``"harmonic_mean"`` over the masked tokens.

    Returns:
        ``(queries, docs)`` scores.
    """
    check_option("aggregate_query_tokens", "aggregation", aggregation, QueryAggregationFunction)
    mask = query_mask[:, :, None]
    if aggregation == "max":
        return token_scores.masked_fill(~mask, float("-inf")).amax(dim=1)
    count = query_mask.sum(dim=1, keepdim=True).clamp(min=1).to(token_scores.dtype)
    if aggregation == "harmonic_mean":
        return count / token_scores.reciprocal().masked_fill(~mask, 0.0).sum(dim=1)
    summed = token_scores.masked_fill(~mask, 0.0).sum(dim=1)
    return summed / count if aggregation == "mean" else summed


def score_documents(
    query_embeddings: torch.Tensor,
    query_mask: torch.Tensor,
    doc_tokens: torch.Tensor,
    offsets: torch.Tensor,
    lengths: torch.Tensor,
    aggregation: QueryAggregationFunction,
) -> torch.Tensor:
    """Scores queries against documents exactly as a bi-encoder does (vectors must already be normalised for cosine).

    Args:
        query_embeddings: ``(queries, query_tokens, dim)``.
        query_mask: ``(queries, query_tokens)`` bool.
        doc_tokens: ``(num_doc_tokens, dim)`` vectors of the documents.
        offsets: ``(docs,)`` start of each document in ``doc_tokens``.
        lengths: ``(docs,)`` number of vectors per document.
        aggregation: The query aggregation function.

    Returns:
        ``(queries, docs)`` scores.
    """
    num_queries, num_tokens, dim = query_embeddings.shape
    token_scores = max_sim(query_embeddings.reshape(-1, dim), doc_tokens, offsets, lengths)
    token_scores = token_scores.view(num_queries, num_tokens, -1)
    if num_tokens == 1 and bool(query_mask.all()):
        return token_scores[:, 0]
    return aggregate_query_tokens(token_scores, query_mask, aggregation)


def gather_doc_positions(
    offsets: torch.Tensor, lengths: torch.Tensor, doc_indices: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Positions of the vectors of selected documents, to gather them into a compact block.

    Args:
        offsets: ``(num_docs,)`` start of every document's vectors.
        lengths: ``(num_docs,)`` number of vectors of every document.
        doc_indices: ``(selected,)`` the documents to gather.

    Returns:
        ``(positions, block_offsets, block_lengths)``: the ``(sum of lengths,)`` positions of the selected
        documents' vectors, and each selected document's offset and length within the gathered block.
    """
    block_lengths = lengths[doc_indices]
    block_offsets = doc_offsets(block_lengths)
    total = int(block_lengths.sum())
    shift = torch.repeat_interleave(offsets[doc_indices] - block_offsets, block_lengths, output_size=total)
    return shift + torch.arange(total, device=offsets.device), block_offsets, block_lengths
