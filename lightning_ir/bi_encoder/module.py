"""LightningModule for bi-encoders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

import torch
import torch.nn.functional as F

from ..base.adapters import LoraAdapterConfig
from ..base.module import LightningIRModule, LossSpec
from ..base.outputs import LightningIROutput, Ranking
from ..data.batches import IndexBatch, SearchBatch
from ..precision import float32_scoring
from ..retrieve.base.search_config import SearchConfig
from .config import BiEncoderConfig
from .embedding import BiEncoderEmbedding
from .model import BiEncoderModel, BiEncoderOutput
from .tokenizer import BiEncoderTokenizer

if TYPE_CHECKING:
    from ..retrieve.base.searcher import Searcher


class BiEncoderModule(LightningIRModule):
    """Trains and runs a :class:`BiEncoderModel`.

    Args:
        model_name_or_path: A backbone, a saved bi-encoder, or a sentence-transformers model (path or hub id).
        config: The bi-encoder's configuration (see :class:`LightningIRModule`).
        model: An already built model.
        loss_functions: Losses for training: each a loss or a ``(loss, weight)`` pair.
        evaluation_metrics: ir_measures metric names or ``"loss"``, computed on validation sets.
        index_dir: Directory of an index that ``trainer.search`` searches when the trainer has no
            ``SearchCallback`` (with ``search_config``, it makes the default one).
        search_config: Search settings for ``index_dir``.
        adapter_config: A LoRA adapter to train instead of the backbone's weights
            (:class:`~lightning_ir.base.adapters.LoraAdapterConfig` or a ``peft.LoraConfig``; needs peft). A
            saved model with an adapter loads with it.

    """

    model_class: ClassVar[type[BiEncoderModel]] = BiEncoderModel
    tokenizer_class: ClassVar[type[BiEncoderTokenizer]] = BiEncoderTokenizer
    model: BiEncoderModel
    tokenizer: BiEncoderTokenizer
    config: BiEncoderConfig

    def __init__(
        self,
        model_name_or_path: str | None = None,
        config: BiEncoderConfig | None = None,
        model: BiEncoderModel | None = None,
        loss_functions: Sequence[LossSpec] | None = None,
        evaluation_metrics: Sequence[str] | None = None,
        index_dir: str | Path | None = None,
        search_config: SearchConfig | None = None,
        adapter_config: LoraAdapterConfig | None = None,
    ) -> None:
        super().__init__(model_name_or_path, config, model, loss_functions, evaluation_metrics, adapter_config)
        self.model.set_mask_scoring_input_ids(self.tokenizer)
        self.index_dir = None if index_dir is None else Path(index_dir)
        self.search_config = search_config

    def _match_vocabulary(self) -> int:
        """Grow the backbones' embeddings when the tokenizer added tokens (the documents' own one too, if untied)."""
        added = super()._match_vocabulary()
        doc_backbone = self.model.doc_backbone
        if doc_backbone is None:
            return added
        if len(self.tokenizer) > cast(torch.nn.Embedding, doc_backbone.get_input_embeddings()).num_embeddings:
            doc_backbone.resize_token_embeddings(len(self.tokenizer))
        return added

    def forward(self, batch: Any) -> BiEncoderOutput:
        """Embed the batch's queries and documents and score each query's documents.

        ``batch`` needs ``queries`` and/or ``docs`` (a list of lists), or ready ``encodings``.
        """
        queries = getattr(batch, "queries", None)
        docs = getattr(batch, "docs", None)
        num_docs = None if docs is None else [len(group) for group in docs]
        encodings = getattr(batch, "encodings", None)
        if encodings is None:
            encodings = self.tokenize(queries=queries, docs=docs, num_docs=num_docs)
        else:
            encodings = {key: encoding.to(self.device) for key, encoding in encodings.items()}
        return self.model(encodings.get("query_encoding"), encodings.get("doc_encoding"), num_docs)

    def inference_step(self, batch: Any) -> BiEncoderOutput:
        """Run the model on one inference batch (the batch is never modified).

        - ``IndexBatch``: the documents' embeddings (``doc_embeddings``; an ``IndexCallback`` adds them to an index).
        - ``SearchBatch``: the queries' embeddings are searched with the trainer's ``SearchCallback`` searcher, once
          per batch; the output's ``rankings`` hold each query's retrieved documents, best first (fewer than ``k``
          when the index is small), and ``scores`` the same scores flattened ``(total_retrieved,)``.
        - ``RankBatch``: every query's documents are scored (re-ranking), see ``LightningIRModule.inference_step``.
        """
        if isinstance(batch, IndexBatch):
            encoding = self._batch_encoding(batch, "doc_encoding", docs=batch.docs)
            return BiEncoderOutput(scores=None, doc_embeddings=self.model.encode_doc(encoding))
        if isinstance(batch, SearchBatch):
            encoding = self._batch_encoding(batch, "query_encoding", queries=batch.queries)
            query_embeddings = self.model.encode_query(encoding)
            with float32_scoring(self.device.type):  # similarities in float32, also under autocast
                result = self._searcher().search(query_embeddings.embeddings, query_embeddings.scoring_mask)
            if len(result.doc_ids) != len(batch.query_ids):
                raise ValueError(
                    f"{type(self).__name__}: the searcher returned {len(result.doc_ids)} rankings for "
                    f"{len(batch.query_ids)} queries"
                )
            rankings = [
                Ranking(str(query_id), list(doc_ids), scores.to(self.device, torch.float32))
                for query_id, doc_ids, scores in zip(batch.query_ids, result.doc_ids, result.scores, strict=True)
            ]
            flat = torch.cat([r.scores for r in rankings]) if rankings else torch.zeros(0, device=self.device)
            return BiEncoderOutput(scores=flat, query_embeddings=query_embeddings, rankings=rankings)
        return cast(BiEncoderOutput, super().inference_step(batch))

    def _batch_encoding(self, batch: Any, key: str, **texts: Any) -> Any:
        """The batch's tokenised ``key`` side (from the collator, or tokenised here), on the module's device."""
        encodings = getattr(batch, "encodings", None)
        if encodings is None or key not in encodings:
            encodings = self.tokenize(**texts)
        return encodings[key].to(self.device)

    def _searcher(self) -> Searcher:
        """The searcher of the trainer's ``SearchCallback`` (the one place searchers come from).

        Raises:
            ValueError: The module is not run by a trainer with a loaded ``SearchCallback``.
        """
        from ..callbacks.search import SearchCallback  # the callback module imports this one

        callbacks = getattr(self._trainer, "callbacks", None) or []
        searchers = [c.searcher for c in callbacks if isinstance(c, SearchCallback) and c.searcher is not None]
        if not searchers:
            raise ValueError(
                f"{type(self).__name__}: nothing to search with; run trainer.search with SearchCallback(index_dir, "
                "search_config) among the trainer's callbacks (or index_dir and search_config given to the module)"
            )
        return searchers[0]

    def _in_batch_output(self, output: LightningIROutput, batch: Any, gather: bool) -> BiEncoderOutput:
        """Score every query against every document of the batch: ``scores`` ``(num_queries, total_docs)``.

        With ``gather`` and several processes, the documents of all processes are scored: this process's documents
        come first (columns ``[i * n, (i + 1) * n)`` are query ``i``'s own documents), then the other processes'
        documents in rank order, which serve as extra negatives. Gradients flow through this process's documents.
        """
        if not isinstance(output, BiEncoderOutput) or output.query_embeddings is None or output.doc_embeddings is None:
            raise ValueError(f"{type(self).__name__}: in-batch losses need query and document embeddings")
        doc_embeddings = output.doc_embeddings
        if gather:
            doc_embeddings = self._gather_doc_embeddings(doc_embeddings)
        scores = self.model.scoring_function.score_matrix(output.query_embeddings, doc_embeddings)
        return BiEncoderOutput(scores=scores, query_embeddings=output.query_embeddings, doc_embeddings=doc_embeddings)

    def _gather_doc_embeddings(self, docs: BiEncoderEmbedding) -> BiEncoderEmbedding:
        """All processes' document embeddings, this process's first (with gradients), then the others by rank.

        Processes may hold different numbers of documents and vectors per document: both are padded to the largest
        for the all-gather (padding vectors are masked out of scoring) and padding documents are dropped afterwards.
        """
        if self._trainer is None or self.trainer.world_size <= 1:
            return docs
        embeddings, mask = docs.embeddings, docs.scoring_mask
        num_docs, seq_len = embeddings.shape[:2]
        shapes = cast(torch.Tensor, self.all_gather(torch.tensor([num_docs, seq_len], device=embeddings.device)))
        shapes = shapes.view(-1, 2)
        max_docs, max_len = (int(value) for value in shapes.max(dim=0).values)
        padded = F.pad(embeddings, (0, 0, 0, max_len - seq_len, 0, max_docs - num_docs))
        padded_mask = F.pad(mask.to(torch.uint8), (0, max_len - seq_len, 0, max_docs - num_docs))
        all_embeddings = cast(torch.Tensor, self.all_gather(padded.detach()))
        all_masks = cast(torch.Tensor, self.all_gather(padded_mask))
        rank = self.global_rank
        others = [r for r in range(shapes.shape[0]) if r != rank]
        gathered = torch.cat([padded[:num_docs]] + [all_embeddings[r, : int(shapes[r, 0])] for r in others])
        gathered_mask = torch.cat([padded_mask[:num_docs]] + [all_masks[r, : int(shapes[r, 0])] for r in others])
        return BiEncoderEmbedding(gathered, gathered_mask.bool())
