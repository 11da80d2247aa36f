"""Similarity of query and document embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..retrieve.base.scoring import aggregate_query_tokens
from .config import BiEncoderConfig
from .embedding import BiEncoderEmbedding


class ScoringFunction(torch.nn.Module):
    """Scores queries against documents as configured by a :class:`BiEncoderConfig`.

    Vectors are compared with the dot product or cosine similarity. With several vectors per text (ColBERT-style),
    each query vector takes its maximum similarity over the document's vectors (MaxSim), and these are combined over
    the query's vectors by ``query_aggregation_function``. Vectors whose scoring mask is False are ignored.

    Args:
        config: The bi-encoder's config.
    """

    def __init__(self, config: BiEncoderConfig) -> None:
        super().__init__()
        self.similarity_function = config.similarity_function
        self.aggregation_function = config.query_aggregation_function

    def forward(
        self,
        query_embeddings: BiEncoderEmbedding,
        doc_embeddings: BiEncoderEmbedding,
        num_docs: Sequence[int] | int | None = None,
    ) -> torch.Tensor:
        """Score each query against its own documents.

        Args:
            query_embeddings: ``num_queries`` queries.
            doc_embeddings: The documents of all queries, flattened in query order.
            num_docs: Documents per query (a list, or one int for all); None splits the documents evenly.

        Returns:
            Scores ``(total_docs,)``.
        """
        repeats = _docs_per_query(len(query_embeddings), len(doc_embeddings), num_docs)
        index = torch.repeat_interleave(torch.arange(len(query_embeddings), device=repeats.device), repeats)
        query = self._prepare(query_embeddings.embeddings)[index.to(query_embeddings.embeddings.device)]
        query_mask = query_embeddings.scoring_mask[index.to(query_embeddings.scoring_mask.device)]
        doc = self._prepare(doc_embeddings.embeddings)
        similarities = torch.einsum("nsd,ntd->nst", query, doc)
        return self._aggregate(similarities, query_mask, doc_embeddings.scoring_mask.unsqueeze(1))

    def score_matrix(self, query_embeddings: BiEncoderEmbedding, doc_embeddings: BiEncoderEmbedding) -> torch.Tensor:
        """Score every query against every document: ``(num_queries, num_docs)``."""
        query = self._prepare(query_embeddings.embeddings)
        doc = self._prepare(doc_embeddings.embeddings)
        if query.shape[1] == 1 and doc.shape[1] == 1:
            return query[:, 0] @ doc[:, 0].T
        similarities = torch.einsum("qsd,ktd->qkst", query, doc)
        doc_mask = doc_embeddings.scoring_mask[None, :, None, :]
        return self._aggregate(similarities, query_embeddings.scoring_mask, doc_mask)

    def _prepare(self, embeddings: torch.Tensor) -> torch.Tensor:
        if self.similarity_function == "cosine":
            return torch.nn.functional.normalize(embeddings, dim=-1)
        return embeddings

    def _aggregate(self, similarities: torch.Tensor, query_mask: torch.Tensor, doc_mask: torch.Tensor) -> torch.Tensor:
        """MaxSim over document vectors, then aggregation over query vectors.

        Args:
            similarities: ``(queries, [docs,] query_tokens, doc_tokens)``.
            query_mask: ``(queries, query_tokens)``.
            doc_mask: Broadcastable to ``similarities``.

        Returns:
            ``(queries,)`` or ``(queries, docs)`` scores.
        """
        lowest = torch.finfo(similarities.dtype).min
        per_query_token = similarities.masked_fill(~doc_mask.bool(), lowest).amax(dim=-1)
        if per_query_token.shape[-1] == 1:
            return per_query_token[..., 0]
        paired = per_query_token.dim() == 2
        token_scores = per_query_token.unsqueeze(-1) if paired else per_query_token.transpose(1, 2)
        scores = aggregate_query_tokens(token_scores, query_mask.bool(), self.aggregation_function)
        return scores[:, 0] if paired else scores


def _docs_per_query(num_queries: int, total_docs: int, num_docs: Sequence[int] | int | None) -> torch.Tensor:
    if num_docs is None:
        if num_queries == 0 or total_docs % num_queries:
            raise ValueError(
                f"Cannot split {total_docs} documents evenly over {num_queries} queries; pass num_docs per query"
            )
        num_docs = total_docs // num_queries
    if isinstance(num_docs, int):
        num_docs = [num_docs] * num_queries
    repeats = torch.tensor(list(num_docs), dtype=torch.long)
    if len(repeats) != num_queries or int(repeats.sum()) != total_docs:
        raise ValueError(f"num_docs={list(num_docs)} does not match {num_queries} queries and {total_docs} documents")
    return repeats
