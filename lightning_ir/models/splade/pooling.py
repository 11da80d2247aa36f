"""Pooling vocabulary logits without holding them for a whole batch: the masked-LM head runs on chunks of tokens.

A SPLADE vector is ``pool(activation(mlm_head(hidden_states)))`` over a text's tokens. Computed naively, the head's
output is a ``(batch, seq, vocab)`` float tensor (for 32 passages of 256 tokens and BERT's 30522 tokens: 1 GiB, and
several such tensors are kept for the backward pass). Here the head runs on at most ``chunk_size`` tokens at a time
(only tokens that take part in pooling; padding is skipped), and each chunk is reduced to the vectors of the texts it
touches before the next one is computed. When gradients are needed, each chunk is recomputed in the backward pass
(activation checkpointing), so training keeps only the pooled ``(batch, vocab)`` vectors as well.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.checkpoint import checkpoint

from ...options import PoolingStrategy, Reduction


def pool_vocabulary(
    hidden_states: torch.Tensor,
    attention_mask: torch.Tensor,
    head: Callable[[torch.Tensor], torch.Tensor],
    pooling_strategy: PoolingStrategy,
    chunk_size: int | None,
) -> torch.Tensor:
    """Pool ``head(hidden_states)`` over each text's tokens, computing the head on chunks of tokens.

    Args:
        hidden_states: ``(batch, seq, hidden)`` contextualised token embeddings.
        attention_mask: ``(batch, seq)``; tokens where it is 0 are left out of pooling (``first`` takes position 0).
        head: Maps ``(tokens, hidden)`` to non-pooled vectors ``(tokens, vocab)`` (masked-LM head and activation).
        pooling_strategy: ``max``, ``sum``, ``mean`` or ``first``.
        chunk_size: Most tokens whose vocabulary vectors exist at once; None computes all tokens at once (and keeps
            them for the backward pass).

    Returns:
        ``(batch, vocab)`` pooled vectors; a text without tokens gets a zero vector.
    """
    batch_size = hidden_states.shape[0]
    if pooling_strategy == "first":
        mask = torch.zeros_like(attention_mask, dtype=torch.bool)
        mask[:, 0] = True
    else:
        mask = attention_mask.bool()
    rows, columns = mask.nonzero(as_tuple=True)  # row-major: each text's tokens are contiguous
    states = hidden_states[rows, columns]
    reduction: Reduction = "amax" if pooling_strategy == "max" else "sum"
    pooled = _pool_tokens(states, rows, batch_size, head, reduction, chunk_size)
    if pooling_strategy == "mean":
        counts = torch.bincount(rows, minlength=batch_size).clamp(min=1)
        pooled = pooled / counts.unsqueeze(1).to(pooled.dtype)
    return pooled


def _pool_tokens(
    states: torch.Tensor,
    rows: torch.Tensor,
    batch_size: int,
    head: Callable[[torch.Tensor], torch.Tensor],
    reduction: Reduction,
    chunk_size: int | None,
) -> torch.Tensor:
    """Reduce ``head(states)`` by text (``rows``, ascending), one chunk of tokens at a time."""
    num_tokens = states.shape[0]
    step = num_tokens if chunk_size is None else chunk_size
    recompute = chunk_size is not None and torch.is_grad_enabled() and states.requires_grad
    row_list = rows.tolist()
    partials: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    for start in range(0, num_tokens, max(step, 1)):
        stop = min(start + step, num_tokens)
        first, last = row_list[start], row_list[stop - 1]
        local = rows[start:stop] - first
        arguments = (head, states[start:stop], local, last - first + 1, reduction)
        partial = checkpoint(_reduce_chunk, *arguments, use_reentrant=False) if recompute else _reduce_chunk(*arguments)
        partials.append(partial)
        targets.append(torch.arange(first, last + 1, device=states.device))
    if len(partials) == 1 and partials[0].shape[0] == batch_size:
        return partials[0]
    if not partials:  # no tokens at all: vectors of the head's size, all zero
        vocab_size = head(states[:0]).shape[-1]
        return states.new_zeros(batch_size, vocab_size)
    return _reduce_rows(torch.cat(partials), torch.cat(targets), batch_size, reduction)


def _reduce_chunk(
    head: Callable[[torch.Tensor], torch.Tensor],
    states: torch.Tensor,
    local_rows: torch.Tensor,
    num_rows: int,
    reduction: Reduction,
) -> torch.Tensor:
    """``(num_rows, vocab)``: the chunk's vocabulary vectors reduced by text."""
    return _reduce_rows(head(states), local_rows, num_rows, reduction)


def _reduce_rows(values: torch.Tensor, rows: torch.Tensor, num_rows: int, reduction: Reduction) -> torch.Tensor:
    """Combine the rows of ``values`` ``(n, vocab)`` into ``(num_rows, vocab)`` by ``rows``; empty rows are 0."""
    output = values.new_zeros(num_rows, values.shape[1])
    if reduction == "sum":
        return output.index_add(0, rows, values)
    index = rows.unsqueeze(1).expand_as(values)
    return output.scatter_reduce(0, index, values, "amax", include_self=False)
