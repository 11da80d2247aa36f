"""Base classes of the loss functions.

Losses are plain, picklable objects with simple typed ``__init__`` arguments (so LightningCLI can build them from
``class_path``/``init_args``) and one method, ``compute_loss``, a pure function of the model output and the batch.
A module combines several losses, each optionally with a weight.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from ..base.outputs import LightningIROutput
    from ..data import TrainBatch


class LossFunction(ABC):
    """A training objective computed from a model output and a training batch."""

    @abstractmethod
    def compute_loss(self, output: LightningIROutput, batch: TrainBatch) -> torch.Tensor:
        """Compute the loss.

        Args:
            output: The model output for the batch.
            batch: The training batch.

        Returns:
            A scalar tensor.
        """

    def __repr__(self) -> str:
        """Return the class name and its hyperparameters, e.g. ``ApproxNDCG(temperature=1.0, scale_gains=True)``."""
        args = ", ".join(f"{name}={value!r}" for name, value in vars(self).items() if not name.startswith("_"))
        return f"{type(self).__name__}({args})"


def _docs_per_query(loss: LossFunction, batch: Any) -> list[int]:
    docs = getattr(batch, "docs", None)
    if docs is None:
        raise ValueError(f"{type(loss).__name__}: the batch has no docs (a list of documents per query)")
    return [len(query_docs) for query_docs in docs]


class ScoringLossFunction(LossFunction):
    """A loss on the scores of each query's own documents, laid out as ``(batch, num_docs)``.

    ``output.scores`` is ``(total_docs,)``, the documents of all queries flattened in query order, and so is
    ``batch.targets``. Every query of the batch must have the same number of documents. :meth:`compute_loss` checks
    and reshapes both to ``(batch, num_docs)``; subclasses implement :meth:`loss_from_scores` on the reshaped tensors.
    """

    def compute_loss(self, output: LightningIROutput, batch: TrainBatch) -> torch.Tensor:
        """Reshape the scores and targets to ``(batch, num_docs)`` and compute :meth:`loss_from_scores`.

        Args:
            output: The model output; ``scores`` is ``(total_docs,)``.
            batch: The training batch with ``docs`` and ``targets``, ``(total_docs,)``.

        Returns:
            A scalar tensor.

        Raises:
            ValueError: If the queries have different numbers of documents, or the scores or targets do not match
                them.
        """
        scores = self.process_scores(output, batch)
        return self.loss_from_scores(scores, self.process_targets(scores, batch))

    @abstractmethod
    def loss_from_scores(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Compute the loss from each query's document scores and targets.

        Args:
            scores: Scores, ``(batch, num_docs)``.
            targets: Targets with the dtype and device of the scores, ``(batch, num_docs)``.

        Returns:
            A scalar tensor.
        """

    def num_docs(self, batch: TrainBatch) -> int:
        """Return the number of documents per query, checking that it is the same for every query.

        Args:
            batch: The training batch; ``batch.docs`` is a list of documents per query.

        Returns:
            The number of documents of each query.

        Raises:
            ValueError: If queries have different numbers of documents, or there are none.
        """
        counts = _docs_per_query(self, batch)
        if not counts or min(counts) != max(counts) or counts[0] == 0:
            raise ValueError(
                f"{type(self).__name__}: every query of a training batch needs the same, non-zero number of "
                f"documents; got {counts} documents per query"
            )
        return counts[0]

    def process_scores(self, output: LightningIROutput, batch: TrainBatch) -> torch.Tensor:
        """Reshape ``output.scores`` to ``(batch, num_docs)``.

        Args:
            output: The model output; ``scores`` is ``(total_docs,)``.
            batch: The training batch.

        Returns:
            Scores of shape ``(batch, num_docs)``.

        Raises:
            ValueError: If the number of scores does not match the documents of the batch.
        """
        num_docs = self.num_docs(batch)
        num_queries = len(batch.docs)
        scores = output.scores
        if scores is None or scores.numel() != num_queries * num_docs:
            got = None if scores is None else tuple(scores.shape)
            raise ValueError(
                f"{type(self).__name__}: expected {num_queries * num_docs} scores ({num_queries} queries x "
                f"{num_docs} documents), got scores of shape {got}"
            )
        return scores.reshape(num_queries, num_docs)

    def process_targets(self, scores: torch.Tensor, batch: TrainBatch) -> torch.Tensor:
        """Reshape ``batch.targets`` like the scores.

        Args:
            scores: Scores of shape ``(batch, num_docs)``, from :meth:`process_scores`.
            batch: The training batch; ``targets`` is ``(total_docs,)``.

        Returns:
            Targets of shape ``(batch, num_docs)`` with the dtype and device of the scores.

        Raises:
            ValueError: If the batch has no targets or their number does not match the scores.
        """
        targets = getattr(batch, "targets", None)
        if targets is None:
            raise ValueError(f"{type(self).__name__}: the batch has no targets; this loss needs them")
        targets = torch.as_tensor(targets)
        if targets.numel() != scores.numel():
            raise ValueError(
                f"{type(self).__name__}: expected {scores.numel()} targets for scores of shape "
                f"{tuple(scores.shape)}, got targets of shape {tuple(targets.shape)}"
            )
        return targets.to(device=scores.device, dtype=scores.dtype).reshape(scores.shape)


class InBatchLossFunction(LossFunction):
    """A loss that scores every query against every document of the (possibly all-gathered) batch.

    ``output.scores`` is ``(num_queries, total_docs)``: columns ``[i * n, (i + 1) * n)`` are query ``i``'s own
    documents (``n`` documents per query) and further columns are other processes' documents. Only bi-encoders can
    score this layout.
    """

    requires_bi_encoder = True
    """In-batch scores need separately encoded queries and documents; a cross-encoder module rejects these losses."""

    def process_scores(self, output: LightningIROutput, batch: TrainBatch) -> tuple[torch.Tensor, int]:
        """Check the in-batch score layout.

        Args:
            output: The model output; ``scores`` is ``(num_queries, total_docs)``.
            batch: The training batch; ``batch.docs`` is a list of documents per query.

        Returns:
            The scores and the number of documents per query ``n``.

        Raises:
            ValueError: If the scores are not a matrix covering each query's own documents.
        """
        counts = _docs_per_query(self, batch)
        scores = output.scores
        if scores is None or scores.dim() != 2:
            got = None if scores is None else tuple(scores.shape)
            raise ValueError(
                f"{type(self).__name__}: in-batch losses need scores of shape (num_queries, total_docs), got {got}; "
                "only bi-encoder modules can train with in-batch losses"
            )
        if not counts or min(counts) != max(counts) or counts[0] == 0:
            raise ValueError(
                f"{type(self).__name__}: every query of a training batch needs the same, non-zero number of "
                f"documents; got {counts} documents per query"
            )
        num_queries, total_docs = scores.shape
        num_docs = counts[0]
        if num_queries != len(counts) or total_docs < num_queries * num_docs:
            raise ValueError(
                f"{type(self).__name__}: scores of shape {tuple(scores.shape)} do not cover {len(counts)} queries "
                f"with {num_docs} documents each"
            )
        return scores, num_docs


class RegularizationLossFunction(LossFunction):
    """A penalty on a bi-encoder's query and document embeddings: ``query_weight * q + doc_weight * d``.

    Each term is computed on the vectors of ``output.query_embeddings`` / ``output.doc_embeddings`` that take part in
    scoring (their ``scoring_mask``); the batch is not needed.
    """

    requires_bi_encoder = True
    """Only bi-encoder outputs carry query and document embeddings."""

    def __init__(self, query_weight: float = 1e-4, doc_weight: float = 1e-4) -> None:
        """Create the regulariser.

        Args:
            query_weight: Weight of the query embedding penalty.
            doc_weight: Weight of the document embedding penalty.
        """
        self.query_weight = query_weight
        self.doc_weight = doc_weight

    @abstractmethod
    def penalty(self, vectors: torch.Tensor) -> torch.Tensor:
        """Compute the penalty of one side.

        Args:
            vectors: The embedding vectors that take part in scoring, ``(num_vectors, dim)``.

        Returns:
            A scalar tensor.
        """

    def compute_loss(self, output: LightningIROutput, batch: TrainBatch | None = None) -> torch.Tensor:
        """Compute ``query_weight * penalty(query vectors) + doc_weight * penalty(doc vectors)``.

        Args:
            output: A bi-encoder output with ``query_embeddings`` and ``doc_embeddings``.
            batch: Unused; accepted so every loss can be called the same way.

        Returns:
            A scalar tensor.

        Raises:
            ValueError: If the output has no query or document embeddings (e.g. a cross-encoder output).
        """
        query_vectors = self._scoring_vectors(output, "query_embeddings")
        doc_vectors = self._scoring_vectors(output, "doc_embeddings")
        return self.query_weight * self._penalty(query_vectors) + self.doc_weight * self._penalty(doc_vectors)

    def _penalty(self, vectors: torch.Tensor) -> torch.Tensor:
        if vectors.shape[0] == 0:  # no vector takes part in scoring: nothing to penalise
            return vectors.sum()
        return self.penalty(vectors)

    def _scoring_vectors(self, output: LightningIROutput, field: str) -> torch.Tensor:
        embedding = getattr(output, field, None)
        if embedding is None:
            raise ValueError(
                f"{type(self).__name__}: the model output has no {field}; regularisation losses need a bi-encoder "
                "output with query and document embeddings"
            )
        embeddings = embedding.embeddings
        mask = getattr(embedding, "scoring_mask", None)
        if mask is None:
            return embeddings.reshape(-1, embeddings.shape[-1])
        return embeddings[mask.to(device=embeddings.device, dtype=torch.bool)]
