"""Regularisation losses on bi-encoder embeddings (e.g. to make SPLADE's vocabulary vectors sparse).

Each loss is ``query_weight * penalty(query vectors) + doc_weight * penalty(doc vectors)``, where the vectors are the
rows of ``embeddings`` (``(batch, seq or 1, dim)``) whose ``scoring_mask`` is True, ``(num_vectors, dim)``. The
weights are often warmed up with :class:`~lightning_ir.schedulers.generic.GenericConstantSchedulerWithQuadraticWarmup`
(keys ``"loss_functions.<i>.query_weight"`` and ``"loss_functions.<i>.doc_weight"``).
"""

from __future__ import annotations

import torch

from .base import RegularizationLossFunction


class L1Regularization(RegularizationLossFunction):
    """Mean L1 norm of the embedding vectors: ``mean_v sum_k |w_vk|``.

    It optimises for small, sparse embeddings.

    Paper: Zamani et al., "From Neural Re-Ranking to Neural Ranking: Learning a Sparse Representation for Inverted
    Indexing", CIKM 2018.

    Batch: not used; the output must be a bi-encoder output with ``query_embeddings`` and ``doc_embeddings``.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> query = SimpleNamespace(embeddings=torch.tensor([[[1.0, -2.0]]]), scoring_mask=torch.tensor([[True]]))
        >>> doc = SimpleNamespace(embeddings=torch.tensor([[[3.0, 0.0]]]), scoring_mask=torch.tensor([[True]]))
        >>> output = SimpleNamespace(query_embeddings=query, doc_embeddings=doc)
        >>> L1Regularization(query_weight=1.0, doc_weight=0.5).compute_loss(output).item()  # 1 * 3 + 0.5 * 3
        4.5
    """

    def penalty(self, vectors: torch.Tensor) -> torch.Tensor:
        """Return the mean L1 norm of the vectors.

        Args:
            vectors: Embedding vectors, ``(num_vectors, dim)``.

        Returns:
            A scalar tensor.
        """
        return vectors.abs().sum(dim=-1).mean()


class L2Regularization(RegularizationLossFunction):
    """Mean squared L2 norm of the embedding vectors: ``mean_v sum_k w_vk ** 2``.

    It optimises for small embeddings (a penalty on the representation rather than on the weights).

    Paper: the classic ridge / Tikhonov penalty applied to representations (no IR-specific paper).

    Batch: not used; the output must be a bi-encoder output with ``query_embeddings`` and ``doc_embeddings``.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> query = SimpleNamespace(embeddings=torch.tensor([[[1.0, -2.0]]]), scoring_mask=torch.tensor([[True]]))
        >>> doc = SimpleNamespace(embeddings=torch.tensor([[[3.0, 0.0]]]), scoring_mask=torch.tensor([[True]]))
        >>> output = SimpleNamespace(query_embeddings=query, doc_embeddings=doc)
        >>> L2Regularization(query_weight=1.0, doc_weight=0.5).compute_loss(output).item()  # 1 * 5 + 0.5 * 9
        9.5
    """

    def penalty(self, vectors: torch.Tensor) -> torch.Tensor:
        """Return the mean squared L2 norm of the vectors.

        Args:
            vectors: Embedding vectors, ``(num_vectors, dim)``.

        Returns:
            A scalar tensor.
        """
        return vectors.pow(2).sum(dim=-1).mean()


class FLOPSRegularization(RegularizationLossFunction):
    """FLOPS regulariser: ``sum_k (mean_v |w_vk|) ** 2`` over the embedding (vocabulary) dimensions ``k``.

    It optimises the expected number of floating-point operations of sparse dot products: it pushes whole dimensions
    to zero across the batch, so posting lists stay short, which an L1 penalty alone does not.

    Paper: Paria et al., "Minimizing FLOPs to Learn Efficient Sparse Representations", ICLR 2020 (used by SPLADE,
    Formal et al., SIGIR 2021).

    Batch: not used; the output must be a bi-encoder output with ``query_embeddings`` and ``doc_embeddings``.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> query = SimpleNamespace(
        ...     embeddings=torch.tensor([[[1.0, 0.0]], [[3.0, 2.0]]]), scoring_mask=torch.tensor([[True], [True]])
        ... )
        >>> doc = SimpleNamespace(embeddings=torch.tensor([[[0.0, 4.0]]]), scoring_mask=torch.tensor([[True]]))
        >>> output = SimpleNamespace(query_embeddings=query, doc_embeddings=doc)
        >>> FLOPSRegularization(query_weight=1.0, doc_weight=1.0).compute_loss(output).item()  # (2^2 + 1^2) + 4^2
        21.0
    """

    def penalty(self, vectors: torch.Tensor) -> torch.Tensor:
        """Return the FLOPS penalty of the vectors.

        Args:
            vectors: Embedding vectors, ``(num_vectors, dim)``.

        Returns:
            A scalar tensor.
        """
        return vectors.abs().mean(dim=0).pow(2).sum()
