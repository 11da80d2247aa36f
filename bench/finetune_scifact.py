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
4. ``cross``: a cross-encoder (all-MiniLM-L6-v2 backbone, new linear head) trained with
   ``LocalizedContrastiveEstimation`` (pairs of ``--train-doc-length`` tokens) on the same tuples or, with
   ``--cross-mining minilm``, on negatives mined the same way with all-MiniLM-L6-v2 (exact dense search: negatives
   like those of the dense first stage it re-ranks, as localized contrastive estimation prescribes); it re-ranks the top
   ``--rerank-depth`` of the best first stage for the test queries (the fine-tuned bi-encoder of this run with the
   higher nDCG@10, as the issue asks, else BM25), reading pairs of ``--rerank-length`` tokens;
5. throughput: Lightning IR's ``LightningIRTrainer.fit`` beside sentence-transformers' ``SentenceTransformerTrainer``
   (MultipleNegativesRankingLoss) on the same model and the same batches (the triples in file order), alternating
   ``--throughput-rounds`` times in this run (each round times ``--throughput-steps`` steps after ``--warmup-steps``
   untimed ones), so that other load on the machine hits both alike. Each trainer runs at its default precision
   (Lightning IR: bf16 autocast where the CPU computes in bf16; sentence-transformers: float32); on such CPUs
   sentence-transformers with ``bf16=True`` is timed too (``ratio_same_precision``).

Every training recipe runs in its own process (peak RSS per recipe), stops after ``--max-minutes`` of training
(evaluation excluded) or its epochs (``--epochs``, ``--lora-epochs``, ``--cross-epochs``; the learning-rate schedule
is planned over them, and where the budget will stop training first, its linear decay is re-aimed after every step at
the step the remaining budget affords, so that the rate is ~0 when training stops), and evaluates test nDCG@10 after
every epoch (``--curve``; the cross-encoder only at its end unless ``--cross-curve``; the last one is the recipe's
result). Bi-encoders are evaluated exactly (every test query against the whole corpus).
Results go to ``--output`` (default ``bench/results/finetune_scifact.json``) with the machine's CPU capability; each
step's result is kept in ``--work-dir`` with a key of the options it reads (and of the steps it builds on) and is
reused while that key holds, so a changed cross-encoder option re-runs only the cross-encoder; each step records
when it ran (``started``, ``ended``) and from which checkout (``commit``); ``--fresh`` starts over.

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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from environment import prepare_environment
from finetune_data import MODEL, bm25_test_run, dense_run, load_json_run, load_scifact, mine, ndcg10, set_lengths
from finetune_recipes import run_recipe
from finetune_throughput import run_throughput

REPO_ROOT = Path(__file__).resolve().parents[1]
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
        default=8,
        help="passes the cross-encoder's schedule is planned over, at most (~15 min each on 2 AVX2 cores, ~5 with "
        "bf16; where fewer fit the budget, the learning-rate decay is fitted to it)",
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
    add("--cross-lr", type=float, default=7e-5, help="peak learning rate of the cross-encoder")
    add("--cross-batch-size", type=int, default=8, help="queries per cross-encoder batch")
    add(
        "--cross-pooling",
        default="mean",
        choices=("first", "mean"),
        help="what the cross-encoder's head reads (all-MiniLM-L6-v2 was trained with mean pooling)",
    )
    add("--scale", type=float, default=20.0, help="factor on cosine scores in the in-batch loss")
    add(
        "--num-negatives",
        type=int,
        default=24,
        help="negatives mined per tuple (with --sample-negatives, batches draw theirs anew from them every epoch)",
    )
    add("--train-negatives", type=int, default=1, help="mined negatives per query in a bi-encoder batch")
    add("--cross-negatives", type=int, default=7, help="mined negatives per query in a cross-encoder batch")
    add(
        "--cross-mining",
        default="bm25",
        choices=("bm25", "minilm"),
        help="first stage the cross-encoder's negatives are mined with: BM25 (the bi-encoders' tuples) or "
        "all-MiniLM-L6-v2 (dense negatives, like those of the dense first stage it re-ranks)",
    )
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
    add(
        "--rerank-length",
        type=int,
        default=None,
        help="tokens of a query-document pair when the cross-encoder re-ranks (default: --train-doc-length, as it "
        "was trained; 256 with a head trained on 128-token pairs scored 0.4983)",
    )
    add("--curve", action=argparse.BooleanOptionalAction, default=True, help="evaluate bi-encoders after every epoch")
    add("--cross-curve", action="store_true", help="also the cross-encoder (each re-ranks 30,000 pairs: ~10 min)")
    add("--zero-shot", action="store_true", help="also evaluate all-MiniLM-L6-v2 before fine-tuning")
    add("--warmup-steps", type=int, default=2, help="untimed steps before each throughput measurement")
    add("--throughput-steps", type=int, default=6, help="timed steps per throughput round")
    add("--throughput-rounds", type=int, default=4, help="alternating Lightning IR / sentence-transformers rounds")
    add("--eval-docs", type=int, default=None, help="SMOKE runs only: score the relevant + this many documents")
    add("--eval-queries", type=int, default=None, help="SMOKE runs only: evaluate this many test queries")
    add("--seed", type=int, default=42)
    add("--work-dir", type=Path, default=REPO_ROOT / "bench" / "work" / "finetune_scifact")
    add("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "finetune_scifact.json")
    add("--fresh", action="store_true", help="ignore the results kept in --work-dir")
    add("--run-step", default=None, help=argparse.SUPPRESS)  # internal: one recipe or throughput, in a subprocess
    add("--first-stage", default="bm25", help=argparse.SUPPRESS)  # internal: the run the cross-encoder re-ranks
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------------------------------------------------


# Options a step does not read are left out of its key, so that changing, say, the cross-encoder's learning rate
# re-runs only the cross-encoder. An option not listed in STEP_OPTIONS is read by every step but mining.
IGNORED_OPTIONS = {"recipes", "zero_shot", "output", "fresh", "run_step", "work_dir", "first_stage"}
MINING_OPTIONS = {"num_negatives", "min_rank", "max_rank", "seed"}
STEP_OPTIONS = {
    "epochs": ("bi",),
    "lr": ("bi", "throughput"),
    "curve": ("bi", "lora"),
    "lora_epochs": ("lora",),
    "lora_lr": ("lora",),
    "lora_r": ("lora",),
    "lora_targets": ("lora",),
    "batch_size": ("bi", "lora", "throughput"),
    "train_negatives": ("bi", "lora"),
    "scale": ("bi", "lora", "throughput"),
    "cross_epochs": ("cross",),
    "cross_lr": ("cross",),
    "cross_batch_size": ("cross",),
    "cross_pooling": ("cross",),
    "cross_negatives": ("cross",),
    "cross_mining": ("cross", "cross-mining"),
    "rerank_depth": ("cross",),
    "rerank_length": ("cross",),
    "cross_curve": ("cross",),
    "throughput_steps": ("throughput",),
    "throughput_rounds": ("throughput",),
}


def step_key(args: argparse.Namespace, name: str, first_stage: str | None = None) -> str:
    """A digest of what a step's result depends on: the options it reads and the steps it builds on."""
    settings: dict[str, Any] = {}
    for option, value in sorted(vars(args).items()):
        if option in IGNORED_OPTIONS:
            continue
        if (name in STEP_OPTIONS[option]) if option in STEP_OPTIONS else (name != "mining" or option in MINING_OPTIONS):
            settings[option] = str(value)
    if name != "mining":
        settings["mining"] = step_key(args, "mining")
    if name == "cross" and args.cross_mining != "bm25":
        settings["cross-mining"] = step_key(args, "cross-mining")
    if first_stage is not None:
        settings["first_stage"] = [first_stage, step_key(args, first_stage) if first_stage in RECIPES else None]
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def step(args: argparse.Namespace, name: str, first_stage: str | None = None) -> dict[str, Any]:
    """The result of a step run in its own process (see :func:`kept`)."""

    def compute() -> dict[str, Any]:
        extra = ["--first-stage", first_stage] if first_stage is not None else []
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--run-step", name, *extra], check=True)
        return dict(json.loads((args.work_dir / f"{name}.json").read_text()))

    return kept(args, name, compute, first_stage)


def source_commit() -> str | None:
    """The checkout's commit (``+changes`` when the library or the bench differ from it); None outside git."""
    root = Path(__file__).resolve().parents[1]

    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--", "lightning_ir", "bench/*.py")
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+changes" if changed else "")


def kept(
    args: argparse.Namespace, name: str, compute: Callable[[], dict[str, Any]], first_stage: str | None = None
) -> dict[str, Any]:
    """A step's result, kept in the work directory with its key and when it ran, and reused while its key holds."""
    path = args.work_dir / f"{name}.json"
    key = step_key(args, name, first_stage)
    if path.exists():
        result = json.loads(path.read_text())
        if result.get("settings_key") == key:
            return dict(result)
    began = datetime.now(UTC).isoformat(timespec="seconds")
    result = compute()
    ended = datetime.now(UTC).isoformat(timespec="seconds")
    result.update(settings_key=key, commit=source_commit(), started=began, ended=ended)
    path.write_text(json.dumps(result, indent=2))
    return result


def run_step(args: argparse.Namespace) -> None:
    """Runs the step ``--run-step`` (a recipe or ``throughput``) in this process and writes its result."""
    name = args.run_step
    result = run_throughput(args) if name == "throughput" else run_recipe(name, args)
    (args.work_dir / f"{name}.json").write_text(json.dumps(result, indent=2))


def zero_shot(args: argparse.Namespace) -> dict[str, Any]:
    """nDCG@10 of all-MiniLM-L6-v2 as it is and of BM25."""
    from lightning_ir import BiEncoderModule

    module = BiEncoderModule(MODEL)
    set_lengths(module, args.query_length, args.doc_length)
    data = load_scifact(args)
    return {
        "ndcg@10": ndcg10(dense_run(module, data), data["qrels"]),
        "bm25_ndcg@10": ndcg10(bm25_test_run(args, data), data["qrels"]),
    }


def prepare_work_dir(args: argparse.Namespace) -> None:
    """Creates the work directory (marked as this bench's), or empties it when ``--fresh``."""
    marker = args.work_dir / SETTINGS_FILE
    if args.work_dir.exists() and any(args.work_dir.iterdir()) and not marker.exists():
        raise SystemExit(f"{args.work_dir} exists and is not a work directory of this bench; choose another")
    if args.fresh and args.work_dir.exists():
        shutil.rmtree(args.work_dir)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("work directory of bench/finetune_scifact.py\n")


def best_first_stage(results: dict[str, Any]) -> str:
    """The first stage the cross-encoder re-ranks: the better fine-tuned bi-encoder of this run, else BM25."""
    trained = [name for name in ("bi", "lora") if name in results]
    return max(trained, key=lambda name: results[name]["ndcg@10"]) if trained else "bm25"


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
    results["mining"] = kept(args, "mining", lambda: mine(args))
    if "cross" in args.recipes and args.cross_mining == "minilm":
        results["cross_mining"] = kept(args, "cross-mining", lambda: mine(args, dense=True))
    if args.zero_shot:
        results["zero_shot"] = kept(args, "zero-shot", lambda: zero_shot(args))
    results["throughput"] = step(args, "throughput")
    print(f"throughput ratio (Lightning IR / sentence-transformers): {results['throughput']['ratio']:.3f}", flush=True)
    write_results(args, results, began, complete=False)
    for recipe in [r for r in RECIPES if r in args.recipes]:
        results[recipe] = step(args, recipe, best_first_stage(results) if recipe == "cross" else None)
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
