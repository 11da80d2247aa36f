"""The LightningModule every Lightning IR module derives from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

import torch
from lightning import LightningModule
from transformers import BatchEncoding

from ..data.batches import IndexBatch, SearchBatch
from ..loss.base import InBatchLossFunction, LossFunction
from ..schedulers.steps import complete_num_training_steps
from .adapters import LoraAdapterConfig, add_adapter, merge_adapter
from .config import LightningIRConfig
from .cpu_dropout import use_cpu_dropout
from .evaluation import (
    EvaluationRecord,
    InferenceRecords,
    InferenceSummary,
    check_metrics,
    gather_record,
    loader_names,
)
from .finite_check import FiniteCheck
from .loading import check_model_path
from .loss_specs import loss_names, normalise_losses
from .model import LightningIRModel
from .optimizers import OptimizerSpec, SchedulerSpec, build_optimization
from .outputs import LightningIROutput, Ranking, split_rankings
from .rng import collect_rng_states, set_rng_states
from .score_inputs import score_texts
from .tokenizer import LightningIRTokenizer

if TYPE_CHECKING:
    from ..data import RankBatch, TrainBatch

LossSpec = LossFunction | tuple[LossFunction, float]
"""A loss function, or a ``(loss function, weight)`` pair."""

_RNG_STATE_KEY = "lightning_ir_rng_states"


class LightningIRModule(LightningModule):
    """Holds a Lightning IR model and its tokenizer, and trains and evaluates it.

    Args:
        model_name_or_path: A backbone (fresh heads), a saved Lightning IR model, or a sentence-transformers model
            (bi-encoders), by local path or Hugging Face hub id. Not needed when ``model`` is given.
        config: The model's configuration; for a saved model, the values it sets explicitly override the saved ones.
        model: An already built model (its tokenizer is loaded from ``model.config.name_or_path``).
        loss_functions: Losses for training: each a loss or a ``(loss, weight)`` pair.
        evaluation_metrics: ir_measures metric names (e.g. ``"nDCG@10"``) or ``"loss"``, computed on validation sets.
        adapter_config: A LoRA adapter to train instead of the backbone's weights
            (:class:`~lightning_ir.base.adapters.LoraAdapterConfig` or a ``peft.LoraConfig``; needs peft). A
            saved model with an adapter loads with it.
    """

    model_class: ClassVar[type[LightningIRModel]] = LightningIRModel
    tokenizer_class: ClassVar[type[LightningIRTokenizer]] = LightningIRTokenizer

    def __init__(
        self,
        model_name_or_path: str | None = None,
        config: LightningIRConfig | None = None,
        model: LightningIRModel | None = None,
        loss_functions: Sequence[LossSpec] | None = None,
        evaluation_metrics: Sequence[str] | None = None,
        adapter_config: LoraAdapterConfig | None = None,
    ) -> None:
        super().__init__()
        if model is None:
            if model_name_or_path is None:
                raise ValueError(f"{type(self).__name__}: pass model_name_or_path or model")
            model_name_or_path = check_model_path(model_name_or_path, type(self).__name__, "model_name_or_path")
            model = self.model_class.from_pretrained(model_name_or_path, config=config)
        self.model = model
        self.config: LightningIRConfig = model.config
        tokenizer_source = model_name_or_path or model.config.name_or_path
        if not tokenizer_source:
            raise ValueError(
                f"{type(self).__name__}: cannot tell where to load the tokenizer from; pass model_name_or_path"
            )
        self.tokenizer = self.tokenizer_class.from_pretrained(tokenizer_source, config=self.config)
        added = self._match_vocabulary()
        if adapter_config is not None:
            add_adapter(model, adapter_config, untrained_tokens=added)
        self.loss_functions: list[tuple[Any, float]] = normalise_losses(loss_functions)
        self.evaluation_metrics = list(evaluation_metrics) if evaluation_metrics is not None else None
        check_metrics(type(self).__name__, self.evaluation_metrics)
        self._optimizer: OptimizerSpec | None = None
        self._lr_scheduler: SchedulerSpec | None = None
        self._validation_records: dict[int, EvaluationRecord] = {}
        self._test_records = InferenceRecords()
        self._finite_check = FiniteCheck()
        self.inference_summaries: list[InferenceSummary] = []

    def _match_vocabulary(self) -> int:
        """Grow the backbone's embeddings when the tokenizer added tokens (e.g. marker tokens); returns how many."""
        num_tokens = len(self.tokenizer)
        num_embeddings = int(cast(torch.nn.Embedding, self.model.backbone.get_input_embeddings()).num_embeddings)
        if num_tokens <= num_embeddings:
            return 0
        self.model.backbone.resize_token_embeddings(num_tokens)
        self.config.backbone_config = self.model.backbone.config
        return num_tokens - num_embeddings

    def set_optimizer(self, optimizer_cls: type[torch.optim.Optimizer], **optimizer_kwargs: Any) -> None:
        """Use ``optimizer_cls(<trainable parameters>, **optimizer_kwargs)`` for training.

        PyTorch's fused implementation is used where the optimiser has one for the device (``fused=True`` on CPUs and
        CUDA GPUs) unless ``fused`` or ``foreach`` is given; see :mod:`lightning_ir.base.optimizers`.
        """
        self._optimizer = (optimizer_cls, optimizer_kwargs)

    def set_lr_scheduler(
        self, scheduler_cls: type[torch.optim.lr_scheduler.LRScheduler], **scheduler_kwargs: Any
    ) -> None:
        """Use ``scheduler_cls(optimizer, **scheduler_kwargs)``, stepped after every optimiser step.

        ``num_training_steps`` may be left out for the Lightning IR schedulers: it is set from the trainer's
        ``max_steps`` when fitting starts.
        """
        self._lr_scheduler = (scheduler_cls, scheduler_kwargs)

    def configure_optimizers(self) -> Any:
        """The optimizer given to :meth:`set_optimizer` (and the scheduler of :meth:`set_lr_scheduler`, if any)."""
        return build_optimization(self, self._optimizer, self._lr_scheduler)

    # ----------------------------------------------------------------------------------------------------------------
    # Training
    # ----------------------------------------------------------------------------------------------------------------

    def on_fit_start(self) -> None:
        """Put the model in training mode (it loads in evaluation mode); on a CPU with the faster CPU dropout."""
        self.model.train()
        if self.device.type == "cpu":
            use_cpu_dropout(self.model)

    def on_train_start(self) -> None:
        """Give learning-rate schedulers created with ``num_training_steps=None`` the trainer's number of steps.

        That is ``max_steps`` when set, else the trainer's estimate (``estimated_stepping_batches``).
        """
        complete_num_training_steps(self.trainer, type(self).__name__)

    def training_step(self, batch: TrainBatch, batch_idx: int) -> torch.Tensor:
        """Compute every loss of ``loss_functions`` on the batch, log each and return their weighted sum.

        Raises:
            ValueError: If there are no loss functions, or a loss is NaN or infinite (naming the loss).
        """
        if not self.loss_functions:
            raise ValueError(f"{type(self).__name__}: no loss_functions to train with; pass loss_functions=[...]")
        output = self.forward(batch)
        losses = self.compute_losses(batch, output, gather=True, check_finite=False)
        self._finite_check.record(self.global_step, losses)  # checked before the optimiser step, see FiniteCheck
        weights = [weight for _, weight in self.loss_functions]
        total = torch.stack([weight * value for weight, value in zip(weights, losses.values(), strict=True)]).sum()
        batch_size = len(batch.queries)
        self.log_dict({f"train/{name}": value.detach() for name, value in losses.items()}, batch_size=batch_size)
        self.log("loss", total.detach(), prog_bar=True, batch_size=batch_size)
        return total

    def compute_losses(
        self, batch: TrainBatch, output: LightningIROutput, gather: bool = False, check_finite: bool = True
    ) -> dict[str, Any]:
        """Compute each loss of ``loss_functions`` (unweighted), keyed by a readable loss name.

        Scoring and regularisation losses get ``output`` and the batch; in-batch losses get every query scored
        against every document of the batch (all-gathered across processes when ``gather``). ``check_finite=False``
        leaves the check to the caller (training checks before the optimiser step, without waiting every step).

        Raises:
            ValueError: If a loss is NaN or infinite, naming the loss.
        """
        losses: dict[str, Any] = {}
        in_batch_output: LightningIROutput | None = None
        for name, (loss_function, _) in zip(loss_names(self.loss_functions), self.loss_functions, strict=False):
            if isinstance(loss_function, InBatchLossFunction):
                if in_batch_output is None:
                    in_batch_output = self._in_batch_output(output, batch, gather)
                value = loss_function.compute_loss(in_batch_output, batch)
            else:
                value = loss_function.compute_loss(output, batch)
            if check_finite and not bool(torch.isfinite(value).all()):
                raise ValueError(
                    f"{type(self).__name__}: loss {name} is {value.detach().cpu().tolist()} at global step "
                    f"{self.global_step if self._trainer is not None else 0}; training stopped before the weights "
                    "were updated. Check the inputs/targets of the batch and lower the learning rate"
                )
            losses[name] = value
        return losses

    def _in_batch_output(self, output: LightningIROutput, batch: TrainBatch, gather: bool) -> LightningIROutput:
        """The output in-batch losses read (``scores`` ``(num_queries, total_docs)``); bi-encoders only."""
        raise ValueError(
            f"{type(self).__name__}: in-batch losses score queries against other queries' documents, which needs a "
            "bi-encoder; use a pairwise or listwise loss"
        )

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Stop before a non-finite loss or gradient reaches the weights (one host sync per optimiser step).

        With fp16 loss scaling, which skips steps with non-finite gradients itself, only the losses are checked.
        """
        self._finite_check.check_step(self, loss_names(self.loss_functions))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Save the random number generator states, so a resumed run draws the same dropout masks and samples."""
        checkpoint[_RNG_STATE_KEY] = collect_rng_states()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the random number generator states saved by :meth:`on_save_checkpoint`."""
        if _RNG_STATE_KEY in checkpoint:
            set_rng_states(checkpoint[_RNG_STATE_KEY])

    # ----------------------------------------------------------------------------------------------------------------
    # Validation
    # ----------------------------------------------------------------------------------------------------------------

    def on_validation_epoch_start(self) -> None:
        """Start accumulating scores afresh for every validation set."""
        self._validation_records = {}

    def validation_step(self, batch: RankBatch, batch_idx: int, dataloader_idx: int = 0) -> LightningIROutput:
        """Score a validation batch (a ``RankBatch`` or ``TrainBatch``) and keep what ``evaluation_metrics`` need.

        Scores, query/doc ids and qrels are kept per dataloader; the metrics are computed over the whole validation
        set in :meth:`on_validation_epoch_end`. ``"loss"`` is the weighted training loss on batches with targets.
        """
        output = self.forward(batch)
        if not self.evaluation_metrics:
            return output
        record = self._validation_records.setdefault(dataloader_idx, EvaluationRecord())
        if any(metric != "loss" for metric in self.evaluation_metrics):
            record.add_rankings(self._rankings(batch, output), batch.qrels)
        if "loss" in self.evaluation_metrics and getattr(batch, "targets", None) is not None and self.loss_functions:
            losses = self.compute_losses(batch, output, gather=False)  # type: ignore[arg-type]
            weights = [weight for _, weight in self.loss_functions]
            total = sum(weight * float(value) for weight, value in zip(weights, losses.values(), strict=True))
            record.loss_sum += total * len(batch.queries)
            record.loss_count += len(batch.queries)
        return output

    def on_validation_epoch_end(self) -> None:
        """Compute ``evaluation_metrics`` per validation set (whole set, all processes) and log them.

        Each metric is logged per dataset as ``"<dataset>/<metric>"`` (e.g. ``"beir/scifact/test/nDCG@10"``) and as
        the mean over the validation sets under its bare name (``"nDCG@10"``), so ``ModelCheckpoint(monitor=
        "nDCG@10")`` works with one validation set or several.
        """
        if not self.evaluation_metrics:
            return
        names = loader_names(self.trainer.val_dataloaders, "val")
        per_metric: dict[str, list[float]] = {}
        for dataloader_idx, record in sorted(self._validation_records.items()):
            record = gather_record(record)
            name = names.get(dataloader_idx, f"val_{dataloader_idx}")
            for metric, value in record.evaluate(self.evaluation_metrics, name).items():
                self.log(f"{name}/{metric}", value, add_dataloader_idx=False, sync_dist=True)
                per_metric.setdefault(metric, []).append(value)
        for metric, values in per_metric.items():
            self.log(metric, sum(values) / len(values), add_dataloader_idx=False, sync_dist=True)
        self._validation_records = {}

    # ----------------------------------------------------------------------------------------------------------------
    # Inference: indexing, search and re-ranking run in the test (and predict) loop
    # ----------------------------------------------------------------------------------------------------------------

    def inference_step(self, batch: Any) -> LightningIROutput:
        """Run the model on one inference batch, without recording anything.

        A ``RankBatch`` is scored (re-ranking): ``scores`` ``(total_docs,)`` in the order of ``batch.doc_ids``, and
        ``rankings`` per query. Bi-encoders also take an ``IndexBatch`` and a ``SearchBatch`` (see
        ``BiEncoderModule.inference_step``). The batch is never modified.

        Raises:
            ValueError: For an ``IndexBatch`` or ``SearchBatch``, which need a bi-encoder.
        """
        if isinstance(batch, IndexBatch | SearchBatch):
            what = "index documents" if isinstance(batch, IndexBatch) else "search an index"
            raise ValueError(
                f"{type(self).__name__} cannot {what}: that needs a bi-encoder (BiEncoderModule); a "
                f"{type(self).__name__} re-ranks runs (RunDataset) with trainer.re_rank"
            )
        output = self.forward(batch)
        if getattr(batch, "query_ids", None) is not None and getattr(batch, "doc_ids", None) is not None:
            output.rankings = self._rankings(batch, output)
        return output

    def _rankings(self, batch: Any, output: LightningIROutput) -> list[Ranking]:
        """The output's flat scores split into per-query rankings by the batch's query and document ids.

        Raises:
            ValueError: If the batch lacks ids or the output scores (metrics and runs need both).
        """
        query_ids, doc_ids = getattr(batch, "query_ids", None), getattr(batch, "doc_ids", None)
        if query_ids is None or doc_ids is None or output.scores is None:
            raise ValueError(
                f"{type(self).__name__}: rankings need batches with query_ids and doc_ids (from a RunDataset or "
                "TupleDataset) and scored outputs"
            )
        return split_rankings(query_ids, doc_ids, output.scores)

    def on_test_start(self) -> None:
        """Give every process rank 0's weights before an inference stage under DDP.

        A model with freshly initialised heads is initialised differently in each process unless every process was
        seeded alike, and DDP broadcasts the weights only for training; without this, the processes would index with
        different projections.
        """
        if self.trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
            for tensor in self.model.state_dict().values():
                torch.distributed.broadcast(tensor, src=0)

    def on_test_epoch_start(self) -> None:
        """Start the per-dataset records (rankings, qrels, timing) of a test or inference run afresh."""
        self._test_records = InferenceRecords()
        self.inference_summaries = []

    def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> LightningIROutput:
        """Run :meth:`inference_step` and keep its rankings and the batch's qrels per dataloader.

        The rankings (search, re-rank) are summarised by ``on_test_epoch_end``.
        """
        output = self.inference_step(batch)
        self._test_records.add(
            dataloader_idx, output.rankings, getattr(batch, "qrels", None), getattr(batch, "positions", None)
        )
        return output

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> LightningIROutput:
        """Run :meth:`inference_step` (``trainer.predict`` returns the outputs)."""
        return self.inference_step(batch)

    def on_test_epoch_end(self) -> None:
        """Summarise every test dataset (gathered over all processes once).

        A summary holds the dataset's run, number of queries, seconds, and ``evaluation_metrics`` when it has qrels.
        Metrics are logged as ``"<dataset>/<metric>"``; the summaries are kept in :attr:`inference_summaries` (one per
        dataloader), where run writers read the runs.
        """
        metrics = [metric for metric in self.evaluation_metrics or [] if metric != "loss"]
        self.inference_summaries = self._test_records.summarise(self.inference_dataset_names(), metrics)
        for summary in self.inference_summaries:
            for metric, value in summary.metrics.items():
                self.log(f"{summary.dataset}/{metric}", value, add_dataloader_idx=False, sync_dist=True)
        self._test_records = InferenceRecords()

    def inference_dataset_names(self) -> dict[int, str]:
        """Readable names of the datasets of the running test/predict loop, by dataloader index.

        A name is the dataset id (``beir/scifact/test``), a collection folder's name, or a run file's name without its
        suffixes.
        """
        trainer = self.trainer
        loaders = trainer.predict_dataloaders if trainer.predicting else trainer.test_dataloaders
        return loader_names(loaders, "test")

    def tokenize(self, queries: Any = None, docs: Any = None, num_docs: Any = None) -> dict[str, BatchEncoding]:
        """Tokenise with the module's tokenizer, on the module's device."""
        encodings = self.tokenizer.tokenize(queries=queries, docs=docs, num_docs=num_docs)
        return {key: encoding.to(self.device) for key, encoding in encodings.items()}

    def forward(self, batch: Any) -> LightningIROutput:
        """Run the model on a batch (a ``RankBatch``/``TrainBatch``; tokenised here unless it has ``encodings``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def score(self, queries: str | Sequence[str], docs: str | Sequence[str] | Sequence[Sequence[str]]) -> Any:
        """Score documents for queries, without gradients.

        Args:
            queries: One query or a list.
            docs: For one query, a list of documents; for several, a list of lists.

        Returns:
            The model's output; ``scores`` is ``(total_docs,)`` in query order (empty, model not run, if no documents).
        """
        return score_texts(self, queries, docs)

    def merge_adapter(self) -> None:
        """Fold the LoRA adapter into the backbone's weights; the model is a plain model afterwards.

        Raises:
            ValueError: If the model has no adapter.
        """
        merge_adapter(self.model)

    def save_pretrained(self, save_path: str | Path) -> None:
        """Save model and tokenizer in Hugging Face format, with a model card (``README.md``).

        The folder holds ``config.json``, ``model.safetensors``, the tokenizer files and the card. It is written
        atomically; an existing folder is replaced only if it holds a Lightning IR model (or is empty).

        Raises:
            OverwriteRefusedError: ``save_path`` exists and is not a Lightning IR model folder.
        """
        from .saving import save_model_folder

        save_model_folder(self, save_path)
