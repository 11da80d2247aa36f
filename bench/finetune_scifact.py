"""Fine-tune all-MiniLM-L6-v2 as a bi-encoder on beir/scifact/train and evaluate on beir/scifact/test.

Training: each (query, relevant document) pair of the train qrels with one BM25 hard negative (bm25s), in-batch
cross entropy over every document of the batch (scores scaled by ``--scale``, as sentence-transformers'
MultipleNegativesRankingLoss does), AdamW with linear warmup/decay, via ``LightningIRTrainer.fit``.
Evaluation: exact scoring of the whole corpus (every test query against every document), nDCG@10 with ir_measures,
for the zero-shot and the fine-tuned model. Throughput: training samples/s of Lightning IR beside
sentence-transformers' ``SentenceTransformerTrainer`` (MultipleNegativesRankingLoss) on the same model, triples and
batch size, timed in this run, after ``--warmup-steps`` untimed steps.

Full run (training stops after --max-minutes, 20 by default; evaluation and the sentence-transformers timing add
about 10 minutes on 2 CPU cores):
    python bench/finetune_scifact.py --zero-shot --output bench/finetune_scifact.json
Short check:
    python bench/finetune_scifact.py --max-steps 3 --throughput-steps 2 --warmup-steps 1 --eval-docs 200 --batch-size 8

Needs the SciFact files: IR_DATASETS_HOME is set to .cache/ir_datasets, filled from ../shared/ir_datasets if empty.
Needs bm25s, sentence-transformers and datasets (for the sentence-transformers trainer).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def prepare_ir_datasets_home() -> None:
    """Point IR_DATASETS_HOME at a writable copy of the shared SciFact files (before ir_datasets is imported)."""
    if "IR_DATASETS_HOME" in os.environ:
        return
    home = REPO_ROOT / ".cache" / "ir_datasets"
    shared = REPO_ROOT.parent / "shared" / "ir_datasets" / "beir"
    if not (home / "beir").exists() and shared.exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copytree(shared, home / "beir")
    os.environ["IR_DATASETS_HOME"] = str(home)


def load_scifact() -> dict[str, Any]:
    """SciFact's documents (ids and texts) and, per split (train, test), its queries and qrels."""
    import ir_datasets

    from lightning_ir.data.ir_datasets_utils import doc_text

    corpus = ir_datasets.load("beir/scifact")
    doc_ids, docs = [], []
    for doc in corpus.docs_iter():
        doc_ids.append(doc.doc_id)
        docs.append(doc_text(doc))
    splits = {}
    for split in ("train", "test"):
        dataset = ir_datasets.load(f"beir/scifact/{split}")
        queries = {query.query_id: query.text for query in dataset.queries_iter()}
        qrels: dict[str, dict[str, int]] = {}
        for qrel in dataset.qrels_iter():
            qrels.setdefault(qrel.query_id, {})[qrel.doc_id] = int(qrel.relevance)
        splits[split] = {"queries": queries, "qrels": qrels}
    return {"doc_ids": doc_ids, "docs": docs, **splits}


def bm25_triples(data: dict[str, Any], seed: int) -> list[tuple[str, str, str]]:
    """(query id, relevant doc id, BM25 negative doc id) for every relevant pair of the train qrels."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(data["docs"], stopwords="en", show_progress=False), show_progress=False)
    train = data["train"]
    query_ids = [qid for qid in train["queries"] if qid in train["qrels"]]
    tokens = bm25s.tokenize([train["queries"][qid] for qid in query_ids], stopwords="en", show_progress=False)
    results, _ = retriever.retrieve(tokens, k=30, show_progress=False)
    rng = random.Random(seed)
    triples = []
    for qid, ranked in zip(query_ids, results, strict=False):
        relevant = train["qrels"][qid]
        candidates = [data["doc_ids"][int(i)] for i in ranked[2:] if data["doc_ids"][int(i)] not in relevant]
        for doc_id, relevance in relevant.items():
            if relevance > 0:
                triples.append((qid, doc_id, rng.choice(candidates)))
    return triples


def write_training_collection(
    data: dict[str, Any], triples: list[tuple[str, str, str]], epochs: int, seed: int, directory: Path
) -> str:
    """A collection folder whose docpairs are ``epochs`` shuffled passes over the triples (the dataset streams)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "docs.tsv").open("w") as file:
        for doc_id, doc in zip(data["doc_ids"], data["docs"], strict=False):
            file.write(f"{doc_id}\t{_clean(doc)}\n")
    with (directory / "queries.tsv").open("w") as file:
        for qid, query in data["train"]["queries"].items():
            file.write(f"{qid}\t{_clean(query)}\n")
    rng = random.Random(seed)
    with (directory / "docpairs.tsv").open("w") as file:
        for _ in range(epochs):
            order = list(triples)
            rng.shuffle(order)
            for qid, positive, negative in order:
                file.write(f"{qid}\t{positive}\t{negative}\n")
    return str(directory)


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def evaluate(module: Any, data: dict[str, Any], max_docs: int | None, batch_size: int = 64) -> float:
    """nDCG@10 on beir/scifact/test by exact scoring of every test query against the whole corpus."""
    import ir_measures
    import torch

    module.eval()
    doc_ids, docs = data["doc_ids"], data["docs"]
    if max_docs is not None:  # smoke runs only: the relevant documents plus the first max_docs others
        relevant = {doc_id for judged in data["test"]["qrels"].values() for doc_id in judged}
        keep = [i for i, doc_id in enumerate(doc_ids) if doc_id in relevant or i < max_docs]
        doc_ids, docs = [doc_ids[i] for i in keep], [docs[i] for i in keep]
    order = sorted(range(len(docs)), key=lambda i: len(docs[i]))
    embeddings: list[Any] = [None] * len(docs)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            encoding = module.tokenize(docs=[docs[i] for i in chunk])["doc_encoding"]
            encoded = module.model.encode_doc(encoding)
            for position, index in enumerate(chunk):
                embeddings[index] = encoded[position : position + 1]
        doc_embedding = type(embeddings[0])(
            torch.cat([e.embeddings for e in embeddings]), torch.cat([e.scoring_mask for e in embeddings])
        )
        test = data["test"]
        query_ids = [qid for qid in test["queries"] if qid in test["qrels"]]
        run: dict[str, dict[str, float]] = {}
        for start in range(0, len(query_ids), batch_size):
            chunk_ids = query_ids[start : start + batch_size]
            encoding = module.tokenize(queries=[test["queries"][qid] for qid in chunk_ids])["query_encoding"]
            scores = module.model.scoring_function.score_matrix(module.model.encode_query(encoding), doc_embedding)
            top = scores.topk(min(100, scores.shape[1]), dim=1)
            for row, qid in enumerate(chunk_ids):
                run[qid] = {doc_ids[int(i)]: float(s) for s, i in zip(top.values[row], top.indices[row], strict=False)}
    ndcg = ir_measures.parse_measure("nDCG@10")
    return float(ir_measures.calc_aggregate([ndcg], test["qrels"], run)[ndcg])


def make_loss(scale: float) -> Any:
    """In-batch cross entropy on ``scale * cosine``, as sentence-transformers' MultipleNegativesRankingLoss."""
    from lightning_ir.loss import InBatchCrossEntropy

    return InBatchCrossEntropy(pos_sampling_technique="first", neg_sampling_technique="all", temperature=1 / scale)


def train_lightning_ir(args: argparse.Namespace, collection: str, max_steps: int, model_dir: Path) -> tuple[Any, float]:
    """Fine-tune with LightningIRTrainer; returns the module and the training samples/s after the warmup steps."""
    import torch
    from lightning import Callback, seed_everything

    from lightning_ir import BiEncoderModule
    from lightning_ir.data import LightningIRDataModule, TupleDataset
    from lightning_ir.schedulers import LinearLRSchedulerWithLinearWarmup
    from lightning_ir.trainer import LightningIRTrainer

    class Timer(Callback):
        def __init__(self) -> None:
            self.start: float | None = None
            self.samples = 0
            self.end = 0.0

        def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
            if trainer.global_step == args.warmup_steps and self.start is None:
                self.start = time.perf_counter()

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            if self.start is not None:
                self.samples += len(batch.queries)
                self.end = time.perf_counter()

        def samples_per_second(self) -> float:
            return self.samples / (self.end - self.start) if self.start is not None and self.end > self.start else 0.0

    seed_everything(args.seed)
    module = BiEncoderModule(MODEL, loss_functions=[make_loss(args.scale)])
    module.config.query_length, module.config.doc_length = args.query_length, args.train_doc_length
    module.tokenizer = type(module.tokenizer).from_pretrained(MODEL, config=module.config)
    module.set_optimizer(torch.optim.AdamW, lr=args.lr, weight_decay=0.01)
    module.set_lr_scheduler(LinearLRSchedulerWithLinearWarmup, num_warmup_steps=max(1, max_steps // 10))
    data = LightningIRDataModule(train_dataset=TupleDataset(collection), train_batch_size=args.batch_size)
    timer = Timer()
    callbacks: list[Any] = [timer]
    if args.max_minutes:
        from lightning.pytorch.callbacks import Timer as TimeLimit

        callbacks.append(TimeLimit(duration={"minutes": args.max_minutes}))
    trainer = LightningIRTrainer(
        accelerator="cpu",
        devices=1,
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=False,
        callbacks=callbacks,
        default_root_dir=str(model_dir),
    )
    trainer.fit(module, data)
    module.save_pretrained(model_dir / "model")
    module.config.doc_length = args.doc_length
    module.tokenizer = type(module.tokenizer).from_pretrained(MODEL, config=module.config)
    return module, timer.samples_per_second()


def sentence_transformers_throughput(
    args: argparse.Namespace, data: dict[str, Any], triples: list[tuple[str, str, str]], output_dir: Path
) -> float:
    """Training samples/s of SentenceTransformerTrainer (MultipleNegativesRankingLoss) on the same triples."""
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from transformers import TrainerCallback

    texts = dict(zip(data["doc_ids"], data["docs"], strict=False))
    queries = data["train"]["queries"]
    steps = args.warmup_steps + args.throughput_steps
    rows = (triples * (1 + steps * args.batch_size // max(1, len(triples))))[: steps * args.batch_size]
    dataset = Dataset.from_dict(
        {
            "anchor": [queries[q] for q, _, _ in rows],
            "positive": [texts[p] for _, p, _ in rows],
            "negative": [texts[n] for _, _, n in rows],
        }
    )
    model = SentenceTransformer(MODEL, device="cpu")
    model.max_seq_length = args.train_doc_length

    warmup_steps = args.warmup_steps

    class Timer(TrainerCallback):
        start: float | None = None
        end = 0.0
        steps = 0

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == warmup_steps and self.start is None:
                self.start = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.start is not None:
                self.steps += 1
                self.end = time.perf_counter()

    timer = Timer()
    training_args = SentenceTransformerTrainingArguments(
        output_dir=str(output_dir),
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
        callbacks=[timer],
    )
    trainer.train()
    if timer.start is None or timer.end <= timer.start:
        return 0.0
    return timer.steps * args.batch_size / (timer.end - timer.start)


def main(argv: list[str] | None = None) -> None:
    """Fine-tune with Lightning IR and sentence-transformers, evaluate both and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="passes over the training triples")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (default: epochs)")
    parser.add_argument("--max-minutes", type=float, default=20.0, help="training time limit for Lightning IR")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--scale", type=float, default=20.0, help="factor on cosine scores in the in-batch loss")
    parser.add_argument("--query-length", type=int, default=64)
    parser.add_argument("--doc-length", type=int, default=256, help="document tokens at evaluation")
    parser.add_argument("--train-doc-length", type=int, default=128, help="document tokens in training")
    parser.add_argument("--warmup-steps", type=int, default=2, help="untimed steps before measuring samples/s")
    parser.add_argument("--throughput-steps", type=int, default=5, help="timed steps of the sentence-transformers run")
    parser.add_argument("--eval-docs", type=int, default=None, help="smoke runs: score only this many documents")
    parser.add_argument("--zero-shot", action="store_true", help="also evaluate the model before fine-tuning")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    prepare_ir_datasets_home()
    sys.path.insert(0, str(REPO_ROOT))
    began = time.perf_counter()
    data = load_scifact()
    triples = bm25_triples(data, args.seed)
    steps_per_epoch = len(triples) // args.batch_size
    max_steps = args.max_steps or args.epochs * steps_per_epoch
    results: dict[str, Any] = {"train_triples": len(triples), "batch_size": args.batch_size, "max_steps": max_steps}
    exact = "exact, whole corpus" if args.eval_docs is None else f"SMOKE: {args.eval_docs}+relevant docs only"

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.zero_shot:
            from lightning_ir import BiEncoderModule

            zero_shot = BiEncoderModule(MODEL)
            zero_shot.config.query_length, zero_shot.config.doc_length = args.query_length, args.doc_length
            zero_shot.tokenizer = type(zero_shot.tokenizer).from_pretrained(MODEL, config=zero_shot.config)
            results["zero_shot_ndcg@10"] = evaluate(zero_shot, data, args.eval_docs)
            print(f"zero-shot nDCG@10 ({exact}): {results['zero_shot_ndcg@10']:.4f}", flush=True)
        collection = write_training_collection(data, triples, args.epochs + 1, args.seed, work / "collection")
        train_start = time.perf_counter()
        module, lir_throughput = train_lightning_ir(args, collection, max_steps, work)
        results["train_minutes"] = (time.perf_counter() - train_start) / 60
        results["steps_done"] = int(module.trainer.global_step)
        results["lightning_ir_samples_per_s"] = lir_throughput
        results["fine_tuned_ndcg@10"] = evaluate(module, data, args.eval_docs)
        print(
            f"fine-tuned nDCG@10 ({exact}): {results['fine_tuned_ndcg@10']:.4f} after "
            f"{results['steps_done']} steps ({results['train_minutes']:.1f} min)",
            flush=True,
        )
        st_throughput = sentence_transformers_throughput(args, data, triples, work / "st")
        results["sentence_transformers_samples_per_s"] = st_throughput
        results["throughput_ratio_lightning_ir_over_st"] = lir_throughput / st_throughput if st_throughput else None
    results["total_minutes"] = (time.perf_counter() - began) / 60
    print(
        f"training samples/s: Lightning IR {lir_throughput:.2f}, sentence-transformers {st_throughput:.2f} "
        f"(ratio {results['throughput_ratio_lightning_ir_over_st'] or float('nan'):.2f}), batch {args.batch_size}"
    )
    print(json.dumps(results, indent=2))
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
