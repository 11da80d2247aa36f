"""Embeddings produced by a bi-encoder."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import BatchEncoding


@dataclass
class BiEncoderEmbedding:
    """Embeddings of a batch of queries or documents.

    Attributes:
        embeddings: ``(batch, seq, dim)`` for multi-vector models, ``(batch, 1, dim)`` for single-vector ones.
        scoring_mask: ``(batch, seq)`` (or ``(batch, 1)``) bool; True where a vector takes part in scoring.
        encoding: The tokenizer output the embeddings were computed from, if kept.
    """

    embeddings: torch.Tensor
    scoring_mask: torch.Tensor
    encoding: BatchEncoding | None = None

    def __len__(self) -> int:
        return self.embeddings.shape[0]

    def to(self, device: torch.device | str) -> BiEncoderEmbedding:
        """A copy on ``device``."""
        return BiEncoderEmbedding(self.embeddings.to(device), self.scoring_mask.to(device), self.encoding)

    def __getitem__(self, index: int | slice | torch.Tensor) -> BiEncoderEmbedding:
        """The embeddings of the selected items (the encoding is not kept)."""
        return BiEncoderEmbedding(self.embeddings[index], self.scoring_mask[index])
