"""Checks of the batches added to an index: shapes, dtypes, finite scoring vectors, doc id strings and duplicates."""

from __future__ import annotations

import torch

MAX_NAMED_IDS = 10
"""Duplicate ids named in an error message (the count of the others follows)."""


def check_batch(
    doc_ids: list[str],
    embeddings: torch.Tensor,
    scoring_mask: torch.Tensor,
    dim: int | None,
    allows_empty_documents: bool,
) -> None:
    """Raises a ValueError naming the problem when a batch cannot be indexed.

    Args:
        doc_ids: The batch's document ids.
        embeddings: ``(batch, seq or 1, dim)`` document embeddings.
        scoring_mask: ``(batch, seq or 1)`` mask, True for the vectors that take part in scoring.
        dim: The vector size of the batches before (None for the first batch).
        allows_empty_documents: Whether a single-vector document without a scoring vector may be added.
    """
    if embeddings.ndim != 3:
        raise ValueError(f"embeddings must be (batch, seq or 1, dim), got shape {tuple(embeddings.shape)}")
    if tuple(scoring_mask.shape) != tuple(embeddings.shape[:2]):
        raise ValueError(
            f"scoring_mask shape {tuple(scoring_mask.shape)} does not match embeddings shape "
            f"{tuple(embeddings.shape)} (expected (batch, seq))"
        )
    if len(doc_ids) != embeddings.shape[0]:
        raise ValueError(f"got {len(doc_ids)} doc_ids for a batch of {embeddings.shape[0]} embeddings")
    if dim is not None and embeddings.shape[2] != dim:
        raise ValueError(f"embedding dim changed from {dim} to {embeddings.shape[2]} between batches")
    if not embeddings.is_floating_point():
        raise ValueError(f"embeddings must be floating point, got {embeddings.dtype}")
    for doc_id in doc_ids:
        if not isinstance(doc_id, str) or "\n" in doc_id or "\r" in doc_id:
            raise ValueError(f"doc id {doc_id!r} must be a string without line breaks")
    _check_vectors(doc_ids, embeddings, scoring_mask.bool(), allows_empty_documents)


def _check_vectors(
    doc_ids: list[str], embeddings: torch.Tensor, scoring_mask: torch.Tensor, allows_empty_documents: bool
) -> None:
    """Refuses non-finite scoring vectors and single-vector documents without a scoring vector."""
    if embeddings.layout != torch.strided:
        embeddings = embeddings.to_dense()
    finite = torch.isfinite(embeddings).all(dim=2) | ~scoring_mask
    if not bool(finite.all()):
        row = int((~finite).any(dim=1).nonzero()[0])
        raise ValueError(f"document {doc_ids[row]!r} has a non-finite embedding (NaN or inf); it is not indexed")
    if embeddings.shape[1] == 1 and not allows_empty_documents and not bool(scoring_mask.all()):
        row = int((~scoring_mask[:, 0]).nonzero()[0])
        raise ValueError(
            f"document {doc_ids[row]!r} has no vector that takes part in scoring (its scoring mask is False), so a "
            "single-vector index could never return it"
        )


def duplicate_error(duplicates: list[str], where: str) -> ValueError:
    """The error for documents added twice, naming (the first of) their ids."""
    named = ", ".join(repr(doc_id) for doc_id in duplicates[:MAX_NAMED_IDS])
    more = f" and {len(duplicates) - MAX_NAMED_IDS} more" if len(duplicates) > MAX_NAMED_IDS else ""
    noun = "doc id" if len(duplicates) == 1 else "doc ids"
    return ValueError(f"duplicate {noun} {named}{more}: {where}; every document can be added only once")
