"""Fixtures for the retrieval tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch


@pytest.fixture
def random_multi_vector() -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    def make(num: int, seq: int, dim: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        generator = torch.Generator().manual_seed(seed)
        embeddings = torch.randn(num, seq, dim, generator=generator)
        mask = torch.rand(num, seq, generator=generator) > 0.3
        mask[:, 0] = True
        return embeddings, mask

    return make


@pytest.fixture(autouse=True, scope="session")
def _single_faiss_thread() -> None:
    """Faiss' OpenMP threads spin badly on a shared 2-core machine; one thread keeps the tests fast."""
    try:
        import faiss
    except ImportError:
        return
    faiss.omp_set_num_threads(1)
