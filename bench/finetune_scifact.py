"""Fine-tuning recipes on BEIR SciFact: mined hard negatives, bi-encoder, LoRA bi-encoder, cross-encoder re-ranker.

All recipes train on ``beir/scifact/train`` and are evaluated on ``beir/scifact/test`` (nDCG@10), with the library's
public API:

1. mining (:class:`lightning_ir.experiment.HardNegativeMiner`): BM25 (bm25s, the library's ``BM25Stage``) ranks the
   collection for the training queries; every judged-relevant document gets a tuple with ``--num-negatives``
   negatives sampled from ranks ``--min-rank``..``--max-rank``, judged-relevant documents excluded;
2. ``bi``: all-MiniLM-L6-v2 fine-tuned as a bi-encoder on the tuples (positive and ``--train-negatives`` mined
   negatives per query plus every other document of the batch: ``InBatchCrossEntropy`` on ``--scale`` x cosine, as
   sentence-transformers' MultipleNegativesRankingLoss), AdamW with linear warmup/decay; the tuples are shuffled
   every epoch (``--shuffle``) and each tuple's batch negatives drawn anew from its mined ones
   (``--sample-negatives``);
3. ``lora``: the same with a LoRA adapter (``LoraAdapterConfig``, rank ``--lora-r``) at the same budget;
4. ``cross``: a cross-encoder (all-MiniLM-L6-v2 backbone, new linear head) trained on the same tuples with
   ``LocalizedContrastiveEstimation``; it re-ranks the top ``--rerank-depth`` of the best first stage for the test
   queries (the fine-tuned bi-encoder's run when there is one, else BM25);
5. throughput: Lightning IR's ``LightningIRTrainer.fit`` beside sentence-transformers' ``SentenceTransformerTrainer``
   (MultipleNegativesRankingLoss) on the same model, triples and batch size, alternating ``--throughput-rounds``
   times in this run (each round times ``--throughput-steps`` steps after ``--warmup-steps`` untimed ones), so that
   other load on the machine hits both alike.

Every training recipe runs in its own process (peak RSS per recipe), stops after ``--max-minutes`` of training
(evaluation excluded) or its epochs (``--epochs``, ``--lora-epochs``, ``--cross-epochs``; the learning-rate schedule
is planned over them), and evaluates test nDCG@10 after every epoch (``--curve``; the cross-encoder only at its end
unless ``--cross-curve``; the last one is the recipe's result). Bi-encoders are
evaluated exactly (every test query against the whole corpus).
Results go to ``--output`` (default ``bench/results/finetune_scifact.json``) with the machine's CPU capability; each
step's result is kept in ``--work-dir`` and reused when the bench is run again with the same settings (``--fresh``
starts over).

Full run (hours on 2 CPU cores):
    python bench/finetune_scifact.py --zero-shot
Short check (minutes):
    python bench/finetune_scifact.py --work-dir /tmp/ft-smoke --output /tmp/ft-smoke.json --max-minutes 0.5 \
        --epochs 1 --lora-epochs 1 --cross-epochs 1 --eval-docs 100 --rerank-depth 5 --eval-queries 20 \
        --throughput-rounds 1 --throughput-steps 1 --warmup-steps 1 --batch-size 4 --no-curve

Needs the SciFact files (IR_DATASETS_HOME is set to .cache/ir_datasets, filled from ../shared/ir_datasets if empty),
bm25s, peft, sentence-transformers and datasets.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from environment import prepare_environment

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
RECIPES = ("bi", "lora", "cross")
SETTINGS_FILE = "settings.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The bench's options (every budget is one)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES, help="training recipes to run")
    add("--epochs", type=int, default=5, help="passes over the mined tuples (bi-encoder)")
    add("--lora-epochs", type=int, default=7, help="passes of the LoRA recipe (it trains ~1.5x faster per step)")
    add(
        "--cross-epochs",
        type=int,
        default=4,
        help="passes the cross-encoder's schedule is planned over (~15 min each; the budget stops it after ~2)",
    )
    add("--max-minutes", type=float, default=30.0, help="training time limit per recipe (evaluation excluded)")
    add("--batch-size", type=int, default=32, help="queries per training batch")
    add("--lr", type=float, default=5e-5, help="learning rate of full fine-tuning (bi-encoder)")
    add("--lora-lr", type=float, default=1e-3, help="learning rate of the LoRA adapter")
    add("--lora-r", type=int, default=16, help="LoRA rank (alpha is twice the rank)")
    add(
        "--lora-targets",
        nargs="+",
        default=["query", "key", "value", "dense"],
        help="linear layers with adapters (BERT: query key value dense is every linear layer; peft's default is "
        "query value)",
    )
    add("--cross-lr", type=float, default=5e-5, help="learning rate of the cross-encoder")
    add("--cross-batch-size", type=int, default=8, help="queries per cross-encoder batch")
    add(
        "--cross-pooling",
        default="mean",
        choices=("first", "mean"),
        help="what the cross-encoder's head reads (all-MiniLM-L6-v2 was trained with mean pooling)",
    )
    add("--scale", type=float, default=20.0, help="factor on cosine scores in the in-batch loss")
    add("--num-negatives", type=int, default=7, help="negatives mined per tuple")
    add("--train-negatives", type=int, default=1, help="mined negatives per query in a bi-encoder batch")
    add("--cross-negatives", type=int, default=7, help="mined negatives per query in a cross-encoder batch")
    add(
        "--sample-negatives",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="draw a tuple's batch negatives anew every epoch (else its first ones)",
    )
    add("--shuffle", action=argparse.BooleanOptionalAction, default=True, help="shuffle the tuples every epoch")
    add("--min-rank", type=int, default=4, help="best BM25 rank negatives are sampled from")
    add("--max-rank", type=int, default=100, help="worst BM25 rank negatives are sampled from")
    add("--query-length", type=int, default=64)
    add("--doc-length", type=int, default=256, help="document tokens at evaluation")
    add("--train-doc-length", type=int, default=128, help="document tokens in training (256 needs ~8 GB RSS)")
    add("--rerank-depth", type=int, default=100, help="documents per test query the cross-encoder re-ranks")
    add("--curve", action=argparse.BooleanOptionalAction, default=True, help="evaluate bi-encoders after every epoch")
    add("--cross-curve", action="store_true", help="also the cross-encoder (each re-ranks 30,000 pairs: ~10 min)")
    add("--zero-shot", action="store_true", help="also evaluate all-MiniLM-L6-v2 before fine-tuning")
    add("--warmup-steps", type=int, default=2, help="untimed steps before each throughput measurement")
    add("--throughput-steps", type=int, default=4, help="timed steps per throughput round")
    add("--throughput-rounds", type=int, default=2, help="alternating Lightning IR / sentence-transformers rounds")
    add("--eval-docs", type=int, default=None, help="SMOKE runs only: score the relevant + this many documents")
    add("--eval-queries", type=int, default=None, help="SMOKE runs only: evaluate this many test queries")
    add("--seed", type=int, default=42)
    add("--work-dir", type=Path, default=REPO_ROOT / "bench" / "work" / "finetune_scifact")
    add("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "finetune_scifact.json")
    add("--fresh", action="store_true", help="ignore the results kept in --work-dir")
    add("--run-step", default=None, help=argparse.SUPPRESS)  # internal: one recipe or throughput, in a subprocess
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------------------------------
# Data and evaluation
# ---------------------------------------------------------------------------------------------------------------------


def load_scifact(args: argparse.Namespace) -> dict[str, Any]:
    """SciFact's documents and the test queries with their qrels (cut down in smoke runs)."""
    import ir_datasets

    from lightning_ir.data.ir_datasets_utils import doc_text

    doc_ids, docs = [], []
    for doc in ir_datasets.load("beir/scifact").docs_iter():
        doc_ids.append(doc.doc_id)
        docs.append(doc_text(doc))
    test = ir_datasets.load("beir/scifact/test")
    qrels: dict[str, dict[str, int]] = {}
    for qrel in test.qrels_iter():
        qrels.setdefault(qrel.query_id, {})[qrel.doc_id] = int(qrel.relevance)
    queries = {q.query_id: q.text for q in test.queries_iter() if q.query_id in qrels}
    if args.eval_queries is not None:
        queries = dict(list(queries.items())[: args.eval_queries])
        qrels = {qid: qrels[qid] for qid in queries}
    if args.eval_docs is not None:
        relevant = {doc_id for judged in qrels.values() for doc_id in judged}
        keep = [i for i, doc_id in enumerate(doc_ids) if doc_id in relevant or i < args.eval_docs]
        doc_ids, docs = [doc_ids[i] for i in keep], [docs[i] for i in keep]
    return {"doc_ids": doc_ids, "docs": docs, "queries": queries, "qrels": qrels}


def ndcg10(run: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]]) -> float:
    """nDCG@10 of ``run`` (ir_measures)."""
    import ir_measures

    measure = ir_measures.parse_measure("nDCG@10")
    return float(ir_measures.calc_aggregate([measure], qrels, run)[measure])


def dense_run(module: Any, data: dict[str, Any], batch_size: int = 64, depth: int = 100) -> dict[str, dict[str, float]]:
    """Exact search of every test query against every document with a bi-encoder (top ``depth`` per query)."""
    import torch

    module.eval()
    docs = data["docs"]
    order = sorted(range(len(docs)), key=lambda i: len(docs[i]))
    chunks: list[Any] = [None] * len(docs)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encoding = module.tokenize(docs=[docs[i] for i in chunk])["doc_encoding"]
            encoded = module.model.encode_doc(encoding)
            for position, index in enumerate(chunk):
                chunks[index] = encoded[position : position + 1]
        doc_embedding = type(chunks[0])(
            torch.cat([e.embeddings for e in chunks]), torch.cat([e.scoring_mask for e in chunks])
        )
        query_ids = list(data["queries"])
        run: dict[str, dict[str, float]] = {}
        for start in range(0, len(query_ids), batch_size):
            ids = query_ids[start : start + batch_size]
            encoding = module.tokenize(queries=[data["queries"][qid] for qid in ids])["query_encoding"]
            scores = module.model.scoring_function.score_matrix(module.model.encode_query(encoding), doc_embedding)
            top = scores.topk(min(depth, scores.shape[1]), dim=1)
            for row, qid in enumerate(ids):
                run[qid] = {
                    data["doc_ids"][int(i)]: float(s) for s, i in zip(top.values[row], top.indices[row], strict=False)
                }
    return run


def rerank_run(
    module: Any, data: dict[str, Any], first_stage: dict[str, dict[str, float]], depth: int, batch_size: int = 4
) -> dict[str, dict[str, float]]:
    """The top ``depth`` documents of ``first_stage`` per test query, re-scored by ``module`` (``module.score``)."""
    texts = dict(zip(data["doc_ids"], data["docs"], strict=False))
    module.eval()
    run: dict[str, dict[str, float]] = {}
    query_ids = [qid for qid in data["queries"] if qid in first_stage]
    for start in range(0, len(query_ids), batch_size):
        ids = query_ids[start : start + batch_size]
        tops = [sorted(first_stage[qid], key=first_stage[qid].__getitem__, reverse=True)[:depth] for qid in ids]
        tops = [[doc_id for doc_id in top if doc_id in texts] for top in tops]
        scores = module.score([data["queries"][qid] for qid in ids], [[texts[d] for d in top] for top in tops])
        flat = scores.scores.float().tolist()
        offset = 0
        for qid, top in zip(ids, tops, strict=False):
            run[qid] = dict(zip(top, flat[offset : offset + len(top)], strict=False))
            offset += len(top)
    return run


def bm25_test_run(args: argparse.Namespace, data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """BM25 top 100 for the test queries from the index the mining step built."""
    from lightning_ir.retrieve.bm25 import BM25SearchConfig, BM25Searcher

    searcher = BM25Searcher(args.work_dir / "bm25-index", BM25SearchConfig(k=100))
    query_ids = list(data["queries"])
    result = searcher.search([data["queries"][qid] for qid in query_ids])
    return {
        qid: {doc_id: float(score) for doc_id, score in zip(doc_ids, scores.tolist(), strict=False)}
        for qid, doc_ids, scores in zip(query_ids, result.doc_ids, result.scores, strict=False)
    }


# ---------------------------------------------------------------------------------------------------------------------
# Mining
# ---------------------------------------------------------------------------------------------------------------------


def mine(args: argparse.Namespace) -> dict[str, Any]:
    """Mines the training tuples with BM25 (building the BM25 index of SciFact first)."""
    from lightning_ir.experiment import BM25Stage, HardNegativeMiner
    from lightning_ir.retrieve.bm25 import BM25SearchConfig

    stage = BM25Stage(args.work_dir / "bm25-index", search_config=BM25SearchConfig(k=args.max_rank))
    miner = HardNegativeMiner(
        query_dataset="beir/scifact/train",
        doc_dataset="beir/scifact",
        output_dir=args.work_dir / "mined",
        first_stage=stage,
        num_negatives=args.num_negatives,
        min_rank=args.min_rank,
        max_rank=args.max_rank,
        seed=args.seed,
    )
    result = miner.run()
    print(f"mined {result.num_tuples} tuples of {result.num_queries} queries (skipped {result.skipped})", flush=True)
    return {"tuples": result.num_tuples, "queries": result.num_queries, "skipped": result.skipped, **result.seconds}


# ---------------------------------------------------------------------------------------------------------------------
# Training recipes (each in its own process)
# ---------------------------------------------------------------------------------------------------------------------


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


def set_lengths(module: Any, query_length: int, doc_length: int) -> None:
    """Sets a bi-encoder's query and document lengths (the tokenizer reads them from the config)."""
    module.config.query_length, module.config.doc_length = query_length, doc_length
    module.tokenizer = type(module.tokenizer).from_pretrained(MODEL, config=module.config)


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

    def exceeded(self) -> bool:
        """Whether the training time is used up."""
        elapsed = self.trained + (time.perf_counter() - self.mark if self.mark is not None else 0.0)
        return elapsed >= self.limit


def make_callback(curve: bool, args: argparse.Namespace, budget: Budget, evaluate: Any) -> Any:
    """A callback that keeps the budget, counts samples/s after the warmup steps and evaluates at epoch ends."""
    from lightning import Callback

    class RecipeCallback(Callback):
        def __init__(self) -> None:
            self.curve: list[dict[str, Any]] = []
            self.samples = 0
            self.timed = 0.0
            self._last: float | None = None

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            budget.resume()

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            now = time.perf_counter()
            if trainer.global_step > args.warmup_steps and self._last is not None:
                self.samples += len(batch.queries)
                self.timed += now - self._last  # step and data loading, since the previous step ended
            self._last = now
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
    from lightning_ir.trainer import LightningIRTrainer

    seed_everything(args.seed)
    data = load_scifact(args)
    module = build_module(recipe, args)
    mined = args.work_dir / "mined"
    num_tuples = json.loads((mined / "training-tuples.json").read_text())["num_tuples"]
    batch_size = args.cross_batch_size if recipe == "cross" else args.batch_size
    negatives = args.cross_negatives if recipe == "cross" else args.train_negatives
    epochs = {"bi": args.epochs, "lora": args.lora_epochs, "cross": args.cross_epochs}[recipe]
    max_steps = epochs * math.ceil(num_tuples / batch_size)
    module.set_lr_scheduler(LinearLRSchedulerWithLinearWarmup, num_warmup_steps=max(1, max_steps // 10))
    first_stage = load_json_run(args.work_dir / "bi.run") or bm25_test_run(args, data)
    evaluate = recipe_evaluator(recipe, args, data, first_stage)
    budget = Budget(args.max_minutes)
    callback = make_callback(args.cross_curve if recipe == "cross" else args.curve, args, budget, evaluate)
    dataset = TupleDataset(
        str(mined),
        num_docs=1 + negatives,
        sample_negatives=args.sample_negatives,
        shuffle_buffer=num_tuples if args.shuffle else 0,
        seed=args.seed,
    )
    datamodule = LightningIRDataModule(train_dataset=dataset, train_batch_size=batch_size, num_workers=1)
    trainer = LightningIRTrainer(
        accelerator="cpu",
        devices=1,
        max_epochs=epochs,
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=False,
        callbacks=[callback],
        default_root_dir=str(args.work_dir / f"{recipe}-logs"),
    )
    trainer.fit(module, datamodule)
    if not callback.curve or callback.curve[-1]["steps"] != trainer.global_step:
        callback.curve.append({"epoch": None, "steps": trainer.global_step, "ndcg@10": evaluate(module)})
    trainable, total = trainable_parameters(module.model)
    result = {
        "ndcg@10": callback.curve[-1]["ndcg@10"],
        "curve": callback.curve,
        "steps": trainer.global_step,
        "train_minutes": budget.trained / 60,
        "samples_per_s": callback.samples / callback.timed if callback.timed else None,
        "trainable_params": trainable,
        "total_params": total,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu": describe_cpu(),
        "first_stage": "bi" if (args.work_dir / "bi.run").exists() else "bm25",
    }
    save_json_run(args.work_dir / f"{recipe}.run", evaluate.last_run)  # cross: the re-ranked run
    return result


def recipe_evaluator(recipe: str, args: argparse.Namespace, data: dict[str, Any], first_stage: Any) -> Any:
    """``evaluate(module) -> nDCG@10`` of a recipe; the last run is kept in ``evaluate.last_run``."""

    def evaluate(module: Any) -> float:
        if recipe == "cross":
            run = rerank_run(module, data, first_stage, args.rerank_depth)
        else:
            set_lengths(module, args.query_length, args.doc_length)
            run = dense_run(module, data)
            set_lengths(module, args.query_length, args.train_doc_length)
        evaluate.last_run = run  # type: ignore[attr-defined]
        return ndcg10(run, data["qrels"])

    return evaluate


def save_json_run(path: Path, run: dict[str, dict[str, float]]) -> None:
    """Keeps a run (``{query_id: {doc_id: score}}``) as JSON."""
    path.write_text(json.dumps(run))


def load_json_run(path: Path) -> dict[str, dict[str, float]] | None:
    """A run kept by :func:`save_json_run`, or None."""
    return json.loads(path.read_text()) if path.exists() else None


# ---------------------------------------------------------------------------------------------------------------------
# Throughput: Lightning IR and sentence-transformers, alternating
# ---------------------------------------------------------------------------------------------------------------------


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
    from lightning_ir.trainer import LightningIRTrainer

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
    trainer = LightningIRTrainer(
        accelerator="cpu",
        devices=1,
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=False,
        callbacks=[Timer()],
        default_root_dir=str(args.work_dir / "throughput-logs"),
    )
    trainer.fit(module, datamodule)
    return int(timed["samples"]), float(timed["end"] - timed["start"])


def sentence_transformers_round(args: argparse.Namespace, rows: list[tuple[str, str, str]]) -> tuple[int, float]:
    """Samples and seconds of ``--throughput-steps`` SentenceTransformerTrainer steps after the warmup steps."""
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.losses import MultipleNegativesRankingLoss
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
        seed=args.seed,
        dataloader_drop_last=True,
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
    """Alternating rounds of both trainers; samples/s of each over all rounds and their ratio."""
    from lightning_ir.precision import describe_cpu

    rows = triples(args)
    totals = {"lightning_ir": [0, 0.0], "sentence_transformers": [0, 0.0]}
    rounds = {"lightning_ir": lightning_ir_round, "sentence_transformers": sentence_transformers_round}
    for number in range(args.throughput_rounds):
        order = list(rounds) if number % 2 == 0 else list(reversed(rounds))
        for name in order:
            samples, seconds = rounds[name](args, rows)
            totals[name][0] += samples
            totals[name][1] += seconds
            print(f"throughput round {number + 1} {name}: {samples / seconds:.2f} samples/s", flush=True)
    lir = totals["lightning_ir"][0] / totals["lightning_ir"][1]
    st = totals["sentence_transformers"][0] / totals["sentence_transformers"][1]
    return {
        "lightning_ir_samples_per_s": lir,
        "sentence_transformers_samples_per_s": st,
        "ratio": lir / st,
        "cpu": describe_cpu(),
        "rounds": args.throughput_rounds,
        "steps_per_round": args.throughput_steps,
    }


# ---------------------------------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------------------------------


def settings_key(args: argparse.Namespace) -> str:
    """A digest of the options that change results (a changed one starts the work directory over)."""
    ignored = {"recipes", "zero_shot", "output", "fresh", "run_step", "work_dir", "throughput_rounds"}
    settings = {key: str(value) for key, value in sorted(vars(args).items()) if key not in ignored}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def step(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """The result of a step run in its own process (kept in the work directory and reused)."""
    path = args.work_dir / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    command = [sys.executable, __file__, *sys.argv[1:], "--run-step", name]
    subprocess.run(command, check=True)
    return json.loads(path.read_text())


def run_step(args: argparse.Namespace) -> None:
    """Runs the step ``--run-step`` (a recipe or ``throughput``) in this process and writes its result."""
    name = args.run_step
    result = run_throughput(args) if name == "throughput" else run_recipe(name, args)
    (args.work_dir / f"{name}.json").write_text(json.dumps(result, indent=2))


def zero_shot(args: argparse.Namespace) -> dict[str, Any]:
    """nDCG@10 of all-MiniLM-L6-v2 as it is and of BM25 (kept in the work directory)."""
    path = args.work_dir / "zero-shot.json"
    if path.exists():
        return json.loads(path.read_text())
    from lightning_ir import BiEncoderModule

    module = BiEncoderModule(MODEL)
    set_lengths(module, args.query_length, args.doc_length)
    data = load_scifact(args)
    result = {
        "ndcg@10": ndcg10(dense_run(module, data), data["qrels"]),
        "bm25_ndcg@10": ndcg10(bm25_test_run(args, data), data["qrels"]),
    }
    path.write_text(json.dumps(result))
    return result


def prepare_work_dir(args: argparse.Namespace) -> None:
    """Creates the work directory, or starts it over when ``--fresh`` or the settings changed."""
    settings = args.work_dir / SETTINGS_FILE
    key = settings_key(args)
    if args.work_dir.exists() and (args.fresh or not settings.exists() or settings.read_text().strip() != key):
        if not settings.exists() and any(args.work_dir.iterdir()):
            raise SystemExit(f"{args.work_dir} exists and is not a work directory of this bench; choose another")
        shutil.rmtree(args.work_dir)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    settings.write_text(key + "\n")


def main(argv: list[str] | None = None) -> None:
    """Mines, trains every recipe in its own process, measures throughput and writes the results."""
    args = parse_args(argv)
    prepare_environment()
    if args.run_step is not None:
        run_step(args)
        return
    from lightning_ir.precision import describe_cpu

    began = time.perf_counter()
    prepare_work_dir(args)
    results: dict[str, Any] = {"cpu_capability": describe_cpu(), "settings": {k: str(v) for k, v in vars(args).items()}}
    mining_path = args.work_dir / "mining.json"
    if not mining_path.exists():
        mining_path.write_text(json.dumps(mine(args)))
    results["mining"] = json.loads(mining_path.read_text())
    if args.zero_shot:
        results["zero_shot"] = zero_shot(args)
    results["throughput"] = step(args, "throughput")
    print(f"throughput ratio (Lightning IR / sentence-transformers): {results['throughput']['ratio']:.2f}", flush=True)
    write_results(args, results, began, complete=False)
    for recipe in [r for r in RECIPES if r in args.recipes]:
        results[recipe] = step(args, recipe)
        print(f"{recipe}: nDCG@10 {results[recipe]['ndcg@10']:.4f}", flush=True)
        write_results(args, results, began, complete=False)
    if "cross" in results:
        results["cross_fused"] = fused_reranking(args, results["cross"]["first_stage"])
    write_results(args, results, began, complete=True)
    print(json.dumps({k: v for k, v in results.items() if k != "settings"}, indent=2))


def fused_reranking(args: argparse.Namespace, first_stage_name: str) -> dict[str, Any]:
    """nDCG@10 of the re-ranked top 100 fused with the first stage it re-ranked (fixed settings, nothing tuned).

    Re-ranking pipelines often combine the re-ranker's scores with the first stage's; both fusions here use the
    textbook settings of :func:`lightning_ir.experiment.fusion.fuse_runs`: RRF with k = 60, and CombSUM of min-max
    normalised scores with equal weights.
    """
    from lightning_ir.experiment.fusion import fuse_runs

    first_stage = load_json_run(args.work_dir / f"{first_stage_name}.run")  # BM25's test run is not kept
    reranked = load_json_run(args.work_dir / "cross.run")
    if first_stage is None or reranked is None:
        return {}
    data = load_scifact(args)
    return {
        "first_stage": first_stage_name,
        "rrf_ndcg@10": ndcg10(fuse_runs([first_stage, reranked]), data["qrels"]),
        "combsum_min_max_ndcg@10": ndcg10(
            fuse_runs([first_stage, reranked], method="combsum", normalization="min-max"), data["qrels"]
        ),
    }


def write_results(args: argparse.Namespace, results: dict[str, Any], began: float, complete: bool) -> None:
    """Writes the results so far (``complete`` false while recipes are still to run)."""
    results.update(headline(results))
    results["complete"] = complete
    results["total_minutes"] = (time.perf_counter() - began) / 60
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's headline keys from the detailed results."""
    keys: dict[str, Any] = {"train_minutes": {}}
    for recipe, key in (("bi", "bi_encoder"), ("lora", "lora"), ("cross", "cross_encoder")):
        if recipe in results:
            keys[f"{key}_ndcg@10"] = results[recipe]["ndcg@10"]
            keys["train_minutes"][recipe] = results[recipe]["train_minutes"]
    if "lora" in results:
        keys["lora_trainable_params"] = results["lora"]["trainable_params"]
    if "lora" in results and "bi" in results:
        lora, full = results["lora"], results["bi"]
        keys["lora_vs_full"] = {
            "ndcg@10_difference": lora["ndcg@10"] - full["ndcg@10"],
            "trainable_params": [lora["trainable_params"], full["trainable_params"]],
            "samples_per_s": [lora["samples_per_s"], full["samples_per_s"]],
            "peak_rss_mib": [lora["peak_rss_mib"], full["peak_rss_mib"]],
        }
    if "throughput" in results:
        keys["samples_per_s_ratio_vs_st"] = results["throughput"]["ratio"]
    return keys


if __name__ == "__main__":
    main()
