"""Output of every Lightning IR model."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers.utils import ModelOutput


@dataclass
class LightningIROutput(ModelOutput):
    """Scores of query-document pairs.

    Attributes:
        scores: Relevance scores, ``(total_docs,)``: the documents of all queries flattened in query order. In-batch
            scoring gives ``(num_queries, total_docs)`` instead.
    """

    scores: torch.Tensor | None = None
