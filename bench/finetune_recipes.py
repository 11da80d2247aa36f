"""The training recipes of ``finetune_scifact.py`` (each runs in its own process)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from finetune_data import (
    MODEL,
    bm25_test_run,
    cpu_trainer,
    dense_run,
    load_json_run,
    load_scifact,
    mined_dir,
    ndcg10,
    rerank_run,
    save_json_run,
    set_lengths,
)


def build_module(recipe: str, args: argparse.Namespace) -> Any:
    """The module of a recipe, with its loss, optimiser, scheduler and lengths."""
    import torch

    from lightning_ir import BiEncoderModule, CrossEncoderConfig, CrossEncoderModule, LoraAdapterConfig
    from lightning_ir.loss import InBatchCrossEntropy, LocalizedContrastiveEstimation

    if recipe == "cross":
        config = CrossEncoderConfig(
            query_length=args.query_length, doc_length=args.train_doc_length, pooling_strategy=args.cross_pooling
        )
        module: Any = CrossEncoderModule(MODEL, config=config, loss_functions=[LocalizedContrastiveEstimation()])
        lr = args.cross_lr
    else:
        loss = InBatchCrossEntropy(
            pos_sampling_technique="first", neg_sampling_technique="all", temperature=1 / args.scale
        )
        adapter = (
            LoraAdapterConfig(r=args.lora_r, lora_alpha=2 * args.lora_r, target_modules=args.lora_targets)
            if recipe == "lora"
            else None
        )
        module = BiEncoderModule(MODEL, loss_functions=[loss], adapter_config=adapter)
        set_lengths(module, args.query_length, args.train_doc_length)
        lr = args.lora_lr if recipe == "lora" else args.lr
    module.set_optimizer(torch.optim.AdamW, lr=lr, weight_decay=0.01)
    return module


class Budget:
    """Training-time accounting: stops fitting after ``max_minutes`` of training, evaluation time excluded."""

    def __init__(self, max_minutes: float) -> None:
        self.limit = max_minutes * 60
        self.trained = 0.0
        self.mark: float | None = None

    def resume(self) -> None:
        """Training (re)starts now."""
        self.mark = time.perf_counter()

    def pause(self) -> None:
        """Training pauses now (an evaluation follows)."""
        if self.mark is not None:
            self.trained += time.perf_counter() - self.mark
            self.mark = None

    def elapsed(self) -> float:
        """Seconds of training so far."""
        return self.trained + (time.perf_counter() - self.mark if self.mark is not None else 0.0)

    def exceeded(self) -> bool:
        """Whether the training time is used up."""
        return self.elapsed() >= self.limit


class ScheduleFitter:
    """Fits a linear warmup/decay schedule to the training budget when the planned steps will not fit in it.

    From the fifth step on, the steps the remaining budget affords are estimated from the time per step so far (the
    first step, which starts the data loader and warms the kernels, left out). At that step the warmup is shortened to
    a tenth of ``min(planned_steps, affordable)`` if it was longer, and after every later step the linear decay is
    re-aimed at that step: the learning rate reaches ~0 when the budget stops training, however fast the machine.
    Where the planned steps fit, nothing changes.
    """

    def __init__(self, budget: Budget, planned_steps: int) -> None:
        self.budget = budget
        self.planned_steps = planned_steps
        self.end = planned_steps
        self._first: float | None = None

    def __call__(self, trainer: Any) -> None:
        """Re-aim the schedulers of ``trainer`` after its latest step."""
        step = trainer.global_step
        if step == 1:
            self._first = self.budget.elapsed()
        if step < 5 or self._first is None:
            return
        per_step = (self.budget.elapsed() - self._first) / (step - 1)
        affordable = step + int((self.budget.limit - self.budget.elapsed()) / max(per_step, 1e-9))
        self.end = min(self.planned_steps, max(step + 1, affordable))
        for config in trainer.lr_scheduler_configs:
            scheduler = config.scheduler
            if not hasattr(scheduler, "num_training_steps") or not hasattr(scheduler, "num_warmup_steps"):
                continue
            if step == 5 and scheduler.num_warmup_steps > step:
                scheduler.num_warmup_steps = max(step + 1, min(scheduler.num_warmup_steps, self.end // 10))
            scheduler.num_training_steps = self.end


def make_callback(curve: bool, args: argparse.Namespace, budget: Budget, evaluate: Any, planned_steps: int) -> Any:
    """A callback that keeps the budget, fits the schedule to it, counts samples/s and evaluates at epoch ends."""
    from lightning import Callback

    class RecipeCallback(Callback):
        def __init__(self) -> None:
            self.curve: list[dict[str, Any]] = []
            self.samples = 0
            self.timed = 0.0
            self._last: float | None = None
            self.fit_schedule = ScheduleFitter(budget, planned_steps)

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            budget.resume()

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            now = time.perf_counter()
            if trainer.global_step > args.warmup_steps and self._last is not None:
                self.samples += len(batch.queries)
                self.timed += now - self._last  # step and data loading, since the previous step ended
            self._last = now
            self.fit_schedule(trainer)
            if trainer.global_step % 5 == 0:
                print(
                    f"step {trainer.global_step}: {budget.trained / 60 + (now - (budget.mark or now)) / 60:.1f} min",
                    flush=True,
                )
            if budget.exceeded():
                trainer.should_stop = True

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            budget.pause()
            if curve or trainer.should_stop or trainer.current_epoch + 1 >= trainer.max_epochs:
                score = evaluate(pl_module)
                self.curve.append({"epoch": trainer.current_epoch + 1, "steps": trainer.global_step, "ndcg@10": score})
                print(
                    f"epoch {trainer.current_epoch + 1}: nDCG@10 {score:.4f} ({trainer.global_step} steps, "
                    f"{budget.trained / 60:.1f} min trained)",
                    flush=True,
                )
                pl_module.train()
            budget.resume()
            self._last = None  # the first step of an epoch waits for the data loader to start: not timed

    return RecipeCallback()


def run_recipe(recipe: str, args: argparse.Namespace) -> dict[str, Any]:
    """Trains one recipe and evaluates it; runs in its own process (its peak RSS is the recipe's)."""
    import math
    import resource

    from lightning import seed_everything

    from lightning_ir.base.adapters import trainable_parameters
    from lightning_ir.data import LightningIRDataModule, TupleDataset
    from lightning_ir.precision import describe_cpu
    from lightning_ir.schedulers import LinearLRSchedulerWithLinearWarmup

    seed_everything(args.seed)
    data = load_scifact(args)
    module = build_module(recipe, args)
    mined = mined_dir(args, recipe)
    num_tuples = json.loads((mined / "training-tuples.json").read_text())["num_tuples"]
    batch_size = args.cross_batch_size if recipe == "cross" else args.batch_size
    negatives = args.cross_negatives if recipe == "cross" else args.train_negatives
    epochs = {"bi": args.epochs, "lora": args.lora_epochs, "cross": args.cross_epochs}[recipe]
    max_steps = epochs * math.ceil(num_tuples / batch_size)
    module.set_lr_scheduler(LinearLRSchedulerWithLinearWarmup, num_warmup_steps=max(1, max_steps // 10))
    first_stage = first_stage_run(args, data) if recipe == "cross" else None
    evaluate = recipe_evaluator(recipe, args, data, first_stage)
    budget = Budget(args.max_minutes)
    callback = make_callback(args.cross_curve if recipe == "cross" else args.curve, args, budget, evaluate, max_steps)
    dataset = TupleDataset(
        str(mined),
        num_docs=1 + negatives,
        sample_negatives=args.sample_negatives,
        shuffle_buffer=num_tuples if args.shuffle else 0,
        seed=args.seed,
    )
    datamodule = LightningIRDataModule(train_dataset=dataset, train_batch_size=batch_size, num_workers=1)
    trainer = cpu_trainer(args.work_dir / f"{recipe}-logs", [callback], max_epochs=epochs, max_steps=max_steps)
    trainer.fit(module, datamodule)
    if not callback.curve or callback.curve[-1]["steps"] != trainer.global_step:
        callback.curve.append({"epoch": None, "steps": trainer.global_step, "ndcg@10": evaluate(module)})
    trainable, total = trainable_parameters(module.model)
    result = {
        "ndcg@10": callback.curve[-1]["ndcg@10"],
        "curve": callback.curve,
        "steps": trainer.global_step,
        "planned_steps": max_steps,
        "schedule_steps": callback.fit_schedule.end,
        "train_minutes": budget.trained / 60,
        "samples_per_s": callback.samples / callback.timed if callback.timed else None,
        "trainable_params": trainable,
        "total_params": total,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu": describe_cpu(),
    }
    if recipe == "cross":
        result["first_stage"] = args.first_stage
    save_json_run(args.work_dir / f"{recipe}.run", evaluate.last_run)  # cross: the re-ranked run
    return result


def first_stage_run(args: argparse.Namespace, data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The test run the cross-encoder re-ranks: ``--first-stage``'s kept run, or BM25's."""
    if args.first_stage == "bm25":
        return bm25_test_run(args, data)
    run = load_json_run(args.work_dir / f"{args.first_stage}.run")
    if run is None:
        raise SystemExit(f"the first stage {args.first_stage!r} has no run in {args.work_dir}")
    return run


def recipe_evaluator(recipe: str, args: argparse.Namespace, data: dict[str, Any], first_stage: Any) -> Any:
    """``evaluate(module) -> nDCG@10`` of a recipe; the last run is kept in ``evaluate.last_run``."""

    def evaluate(module: Any) -> float:
        if recipe == "cross":
            set_lengths(module, args.query_length, args.rerank_length or args.train_doc_length)
            run = rerank_run(module, data, first_stage, args.rerank_depth)
            set_lengths(module, args.query_length, args.train_doc_length)
        else:
            set_lengths(module, args.query_length, args.doc_length)
            run = dense_run(module, data)
            set_lengths(module, args.query_length, args.train_doc_length)
        evaluate.last_run = run  # type: ignore[attr-defined]
        return ndcg10(run, data["qrels"])

    return evaluate
