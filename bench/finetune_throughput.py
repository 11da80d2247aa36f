"""Training throughput of Lightning IR beside sentence-transformers' trainer for ``finetune_scifact.py``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from finetune_data import MODEL, cpu_trainer, set_lengths


def triples(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(query text, positive text, first mined negative text) per tuple, in file order."""
    from lightning_ir.data import TupleDataset

    samples = TupleDataset(str(args.work_dir / "mined"), num_docs=2).iter_all()
    return [(s.query, s.docs[0], s.docs[1]) for s in samples]


def lightning_ir_round(args: argparse.Namespace, rows: list[tuple[str, str, str]]) -> tuple[int, float]:
    """Samples and seconds of ``--throughput-steps`` Lightning IR steps after the warmup steps."""
    import torch
    from lightning import Callback

    from lightning_ir import BiEncoderModule
    from lightning_ir.data import LightningIRDataModule, TupleDataset
    from lightning_ir.loss import InBatchCrossEntropy

    timed = {"samples": 0, "start": 0.0, "end": 0.0}

    class Timer(Callback):
        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            if trainer.global_step == args.warmup_steps:
                timed["start"] = time.perf_counter()
            elif trainer.global_step > args.warmup_steps:
                timed["samples"] += len(batch.queries)
                timed["end"] = time.perf_counter()

    loss = InBatchCrossEntropy(pos_sampling_technique="first", neg_sampling_technique="all", temperature=1 / args.scale)
    module = BiEncoderModule(MODEL, loss_functions=[loss])
    set_lengths(module, args.train_doc_length, args.train_doc_length)  # sentence-transformers: one max length
    module.set_optimizer(torch.optim.AdamW, lr=args.lr, weight_decay=0.01)
    steps = args.warmup_steps + args.throughput_steps
    dataset = TupleDataset(str(args.work_dir / "mined"), num_docs=2)
    datamodule = LightningIRDataModule(train_dataset=dataset, train_batch_size=args.batch_size, num_workers=1)
    trainer = cpu_trainer(args.work_dir / "throughput-logs", [Timer()], max_steps=steps)
    trainer.fit(module, datamodule)
    return int(timed["samples"]), float(timed["end"] - timed["start"])


def sentence_transformers_round(
    args: argparse.Namespace, rows: list[tuple[str, str, str]], bf16: bool = False
) -> tuple[int, float]:
    """Samples and seconds of ``--throughput-steps`` SentenceTransformerTrainer steps after the warmup steps.

    ``bf16``: its ``bf16=True`` (autocast), which it leaves off by default.
    """
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.base.sampler import DefaultBatchSampler
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from torch.utils.data import SequentialSampler
    from transformers import TrainerCallback

    steps = args.warmup_steps + args.throughput_steps
    rows = rows[: steps * args.batch_size]
    dataset = Dataset.from_dict(
        {"anchor": [r[0] for r in rows], "positive": [r[1] for r in rows], "negative": [r[2] for r in rows]}
    )
    model = SentenceTransformer(MODEL, device="cpu")
    model.max_seq_length = args.train_doc_length
    timed = {"steps": 0, "start": 0.0, "end": 0.0}
    warmup = args.warmup_steps

    class Timer(TrainerCallback):
        def on_step_end(self, train_args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == warmup:
                timed["start"] = time.perf_counter()
            elif state.global_step > warmup:
                timed["steps"] += 1
                timed["end"] = time.perf_counter()

    training_args = SentenceTransformerTrainingArguments(
        output_dir=str(args.work_dir / "st"),
        per_device_train_batch_size=args.batch_size,
        max_steps=steps,
        learning_rate=args.lr,
        warmup_steps=max(1, steps // 10),
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        use_cpu=True,
        bf16=bf16,
        seed=args.seed,
        dataloader_drop_last=True,
        # the rows in file order, as Lightning IR reads them: both trainers time the very same batches
        batch_sampler=lambda dataset, batch_size, drop_last, **_: DefaultBatchSampler(
            SequentialSampler(dataset), batch_size=batch_size, drop_last=drop_last
        ),
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=training_args,
        train_dataset=dataset,
        loss=MultipleNegativesRankingLoss(model, scale=args.scale),
        callbacks=[Timer()],
    )
    trainer.train()
    return int(timed["steps"]) * args.batch_size, float(timed["end"] - timed["start"])


def run_throughput(args: argparse.Namespace) -> dict[str, Any]:
    """Alternating rounds of the trainers; samples/s of each over all rounds and their ratios.

    Each trainer runs at its defaults: Lightning IR picks bf16 autocast on CPUs that compute in bf16 (and says so),
    sentence-transformers trains in float32 unless told otherwise. On such CPUs sentence-transformers with
    ``bf16=True`` is timed as well, for the ratio at the same precision (``ratio_same_precision``).
    """
    from functools import partial

    from lightning_ir.precision import cpu_has_bf16, describe_cpu

    rows = triples(args)
    rounds: dict[str, Any] = {"lightning_ir": lightning_ir_round, "sentence_transformers": sentence_transformers_round}
    if cpu_has_bf16():
        rounds["sentence_transformers_bf16"] = partial(sentence_transformers_round, bf16=True)
    totals = {name: [0, 0.0] for name in rounds}
    for number in range(args.throughput_rounds):
        order = list(rounds) if number % 2 == 0 else list(reversed(rounds))
        for name in order:
            samples, seconds = rounds[name](args, rows)
            totals[name][0] += samples
            totals[name][1] += seconds
            print(f"throughput round {number + 1} {name}: {samples / seconds:.2f} samples/s", flush=True)
    per_s = {name: samples / seconds for name, (samples, seconds) in totals.items()}
    result = {f"{name}_samples_per_s": value for name, value in per_s.items()}
    result["ratio"] = per_s["lightning_ir"] / per_s["sentence_transformers"]
    if "sentence_transformers_bf16" in per_s:
        result["ratio_same_precision"] = per_s["lightning_ir"] / per_s["sentence_transformers_bf16"]
    return {**result, "cpu": describe_cpu(), "rounds": args.throughput_rounds, "steps_per_round": args.throughput_steps}
