"""SciFact end to end: index + search and BM25 re-ranking with all-MiniLM-L6-v2, against sentence-transformers.

1. Dense retrieval: ``LightningIRTrainer.index`` (exact torch index) and ``.search`` (top 100) of beir/scifact/test
   with sentence-transformers/all-MiniLM-L6-v2 (256 tokens, cosine); reference nDCG@10 0.6451 (MTEB). The index of
   ``scripts/scifact_demo.sh`` (indexes/beir-scifact/all-MiniLM-L6-v2) is reused with ``--reuse-index``.
2. BM25 (bm25s, English stopwords, no stemming, title + text) top 100 of every test query, written to
   runs/bm25/beir__scifact__test.bm25.run (the input of configs/re-rank-scifact.yaml); reference nDCG@10 0.662.
3. Re-ranking that run with the same model through ``LightningIRTrainer.re_rank``.
4. sentence-transformers in the same run: the corpus and queries encoded with ``SentenceTransformer.encode``; exact
   top 100 by cosine (compare with 1.) and the BM25 pairs scored by cosine (compare with 3.), evaluated with
   ir_measures. Lightning IR and sentence-transformers must agree within 0.001 nDCG@10.

    python bench/scifact_end_to_end.py --reuse-index
    python bench/scifact_end_to_end.py --reuse-index --re-rank-queries 50   # re-rank only the first 50 queries

Re-ranking encodes every (query, document) pair's document: 30,000 documents for 300 queries x 100, about 20
minutes at 25 documents/s on 2 CPU cores; ``--re-rank-queries`` limits it to the first N queries (the
sentence-transformers comparison then uses the same queries).

Needs bm25s and sentence-transformers. IR_DATASETS_HOME defaults to .cache/ir_datasets (filled from
../shared/ir_datasets when empty); the model is read from the Hugging Face cache when it is there.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from environment import prepare_environment

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET, TEST = "beir/scifact", "beir/scifact/test"
METRICS = ["nDCG@10", "R@100"]


def load_scifact() -> dict[str, Any]:
    """SciFact's documents and the test split's queries and qrels."""
    import ir_datasets

    from lightning_ir.data.ir_datasets_utils import doc_text

    corpus = ir_datasets.load(DATASET)
    docs = {doc.doc_id: doc_text(doc) for doc in corpus.docs_iter()}
    test = ir_datasets.load(TEST)
    queries = {query.query_id: query.text for query in test.queries_iter()}
    qrels: dict[str, dict[str, int]] = {}
    for qrel in test.qrels_iter():
        qrels.setdefault(qrel.query_id, {})[qrel.doc_id] = qrel.relevance
    return {"docs": docs, "queries": queries, "qrels": qrels}


def evaluate(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    """The metrics over the run's queries (ir_measures counts judged queries missing from the run as 0)."""
    import ir_measures

    qrels = {query_id: judgements for query_id, judgements in qrels.items() if query_id in run}

    measures = [ir_measures.parse_measure(metric) for metric in METRICS]
    results = ir_measures.calc_aggregate(measures, qrels, run)
    return {metric: float(results[measure]) for metric, measure in zip(METRICS, measures, strict=True)}


def bm25_run(data: dict[str, Any], path: Path, k: int) -> tuple[dict[str, dict[str, float]], float]:
    """BM25 top ``k`` of every query with bm25s (English stopwords, no stemming), written as a TREC run."""
    import bm25s

    from lightning_ir.data import write_run

    start = time.perf_counter()
    doc_ids = list(data["docs"])
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(list(data["docs"].values()), stopwords="en", show_progress=False), show_progress=False
    )
    query_ids = list(data["queries"])
    tokens = bm25s.tokenize([data["queries"][qid] for qid in query_ids], stopwords="en", show_progress=False)
    results, scores = retriever.retrieve(tokens, k=k, show_progress=False)
    run = {
        qid: {doc_ids[int(i)]: float(s) for i, s in zip(ranked, ranked_scores, strict=True)}
        for qid, ranked, ranked_scores in zip(query_ids, results, scores, strict=True)
    }
    write_run(
        path,
        query_ids,
        [list(run[qid]) for qid in query_ids],
        [list(run[qid].values()) for qid in query_ids],
        tag="bm25s",
    )
    return run, time.perf_counter() - start


def trainer_kwargs(root: Path, callbacks: list[Any]) -> dict[str, Any]:
    """Keyword arguments of a quiet single-CPU ``LightningIRTrainer`` writing under ``root``."""
    return {
        "accelerator": "cpu",
        "devices": 1,
        "logger": False,
        "default_root_dir": str(root),
        "callbacks": callbacks,
        "enable_model_summary": False,
    }


def lightning_ir_dense(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Index (unless reused) and search with Lightning IR; returns metrics and times."""
    from lightning_ir import BiEncoderModule, LightningIRTrainer
    from lightning_ir.callbacks import IndexCallback, SearchCallback
    from lightning_ir.data import DocDataset, LightningIRDataModule, QueryDataset
    from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig

    module = BiEncoderModule(MODEL, evaluation_metrics=METRICS)
    figures: dict[str, Any] = {}
    index_dir = Path(args.index_dir)
    if args.reuse_index and (index_dir / "config.json").is_file():
        figures["index_seconds"] = None
        print(f"reusing the index at {index_dir}")
    else:
        callback = IndexCallback(index_dir, TorchDenseIndexConfig())
        data = LightningIRDataModule(inference_datasets=[DocDataset(DATASET)], inference_batch_size=32)
        start = time.perf_counter()
        LightningIRTrainer(**trainer_kwargs(root, [callback])).index(module, datamodule=data)
        figures["index_seconds"] = time.perf_counter() - start
    search = SearchCallback(index_dir, TorchDenseSearchConfig(k=100), save_dir=root / "runs")
    data = LightningIRDataModule(inference_datasets=[QueryDataset(TEST)], inference_batch_size=32)
    start = time.perf_counter()
    (metrics,) = LightningIRTrainer(**trainer_kwargs(root, [search])).search(module, datamodule=data)
    figures["search_seconds"] = time.perf_counter() - start
    figures["metrics"] = metrics
    figures["run"] = str(search.run_paths[0])
    return figures


def lightning_ir_re_rank(args: argparse.Namespace, root: Path, run_path: Path) -> dict[str, Any]:
    """Re-rank the top 100 of the BM25 run with Lightning IR; returns metrics, time and the run file."""
    from lightning_ir import BiEncoderModule, LightningIRTrainer
    from lightning_ir.callbacks import ReRankCallback
    from lightning_ir.data import LightningIRDataModule, RunDataset

    module = BiEncoderModule(MODEL, evaluation_metrics=METRICS)
    callback = ReRankCallback(save_dir=root / "runs", run_name="re-rank-bm25")
    data = LightningIRDataModule(inference_datasets=[RunDataset(run_path, depth=100)], inference_batch_size=2)
    start = time.perf_counter()
    (metrics,) = LightningIRTrainer(**trainer_kwargs(root, [callback])).re_rank(module, datamodule=data)
    return {"metrics": metrics, "seconds": time.perf_counter() - start, "run": str(callback.run_paths[0])}


def sentence_transformers_figures(data: dict[str, Any], bm25: dict[str, dict[str, float]]) -> dict[str, Any]:
    """``bm25`` holds the queries to re-rank (all or the first ``--re-rank-queries``)."""
    # exact top 100 and BM25 re-ranking with sentence-transformers' own encoding, evaluated with ir_measures
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(MODEL, device="cpu")
    start = time.perf_counter()
    doc_ids = list(data["docs"])
    doc_embeddings = model.encode(
        list(data["docs"].values()),
        batch_size=32,
        convert_to_tensor=True,
        normalize_embeddings=True,
        show_progress_bar=True,
    )
    query_ids = list(data["queries"])
    query_embeddings = model.encode(
        [data["queries"][qid] for qid in query_ids], batch_size=32, convert_to_tensor=True, normalize_embeddings=True
    )
    encode_seconds = time.perf_counter() - start
    scores = query_embeddings @ doc_embeddings.T
    top = torch.topk(scores, k=100, dim=1)
    dense = {
        qid: {doc_ids[int(i)]: float(s) for i, s in zip(idx, val, strict=True)}
        for qid, idx, val in zip(query_ids, top.indices, top.values, strict=True)
    }
    position = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    re_ranked = {
        qid: {doc_id: float(scores[q, position[doc_id]]) for doc_id in bm25[qid]}
        for q, qid in enumerate(query_ids)
        if qid in bm25
    }
    return {
        "dense": evaluate(data["qrels"], dense),
        "re_rank": evaluate(data["qrels"], re_ranked),
        "encode_seconds": encode_seconds,
        "model_max_seq_length": model.max_seq_length,
    }


def main() -> None:
    """Run every stage with Lightning IR and sentence-transformers and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", default=str(REPO_ROOT / "indexes" / "beir-scifact" / "all-MiniLM-L6-v2"))
    parser.add_argument("--reuse-index", action="store_true", help="search the index at --index-dir if it exists")
    parser.add_argument("--re-rank-queries", type=int, default=None, help="re-rank only the first N test queries")
    parser.add_argument("--output-dir", default=str(REPO_ROOT / "runs" / "scifact-end-to-end"))
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    prepare_environment(MODEL)
    root = Path(args.output_dir)
    data = load_scifact()
    print(f"SciFact: {len(data['docs'])} documents, {len(data['queries'])} test queries")

    bm25_path = REPO_ROOT / "runs" / "bm25" / "beir__scifact__test.bm25.run"
    bm25, bm25_seconds = bm25_run(data, bm25_path, k=100)
    figures: dict[str, Any] = {
        "bm25": {"metrics": evaluate(data["qrels"], bm25), "seconds": bm25_seconds, "run": str(bm25_path)}
    }
    print(f"BM25 (bm25s): {figures['bm25']}")
    re_rank_path = bm25_path
    if args.re_rank_queries is not None:
        from lightning_ir.data import write_run

        bm25 = dict(list(bm25.items())[: args.re_rank_queries])
        re_rank_path = bm25_path.with_name(f"beir__scifact__test.bm25-first{args.re_rank_queries}.run")
        write_run(
            re_rank_path,
            list(bm25),
            [list(r) for r in bm25.values()],
            [list(r.values()) for r in bm25.values()],
            tag="bm25s",
        )
        figures["bm25_re_rank_subset"] = {"metrics": evaluate(data["qrels"], bm25), "queries": len(bm25)}
        print(f"BM25 on the {len(bm25)} queries to re-rank: {figures['bm25_re_rank_subset']}")
    figures["lightning_ir_dense"] = lightning_ir_dense(args, root)
    print(f"Lightning IR index + search: {figures['lightning_ir_dense']}")
    figures["sentence_transformers"] = sentence_transformers_figures(data, bm25)
    print(f"sentence-transformers: {figures['sentence_transformers']}")
    figures["lightning_ir_re_rank"] = lightning_ir_re_rank(args, root, re_rank_path)
    print(f"Lightning IR re-rank: {figures['lightning_ir_re_rank']}")

    st = figures["sentence_transformers"]
    dense, re_rank = figures["lightning_ir_dense"], figures["lightning_ir_re_rank"]
    rows = [
        ("BM25 (bm25s) top 100", figures["bm25"]["metrics"], "", f"{bm25_seconds:.1f}"),
        (
            "Lightning IR index + search",
            dense["metrics"],
            "0.6451 (MTEB)",
            f"index {dense['index_seconds'] or 0:.1f} (0 = reused) + search {dense['search_seconds']:.1f}",
        ),
        ("sentence-transformers exact top 100", st["dense"], "", f"encode corpus+queries {st['encode_seconds']:.1f}"),
        (f"Lightning IR re-rank BM25 top 100 ({len(bm25)} q)", re_rank["metrics"], "", f"{re_rank['seconds']:.1f}"),
        (f"sentence-transformers re-rank ({len(bm25)} q)", st["re_rank"], "", "(from the encodings above)"),
    ]
    print(f"\n{'system':44} {'nDCG@10':>8} {'R@100':>8}  reference       seconds")
    for name, metrics, reference, seconds in rows:
        print(f"{name:44} {metrics['nDCG@10']:8.4f} {metrics['R@100']:8.4f}  {reference:15} {seconds}")
    dense_gap = abs(dense["metrics"]["nDCG@10"] - st["dense"]["nDCG@10"])
    re_rank_gap = abs(re_rank["metrics"]["nDCG@10"] - st["re_rank"]["nDCG@10"])
    print(f"\n|dense - sentence-transformers| nDCG@10 = {dense_gap:.5f} (goal <= 0.001)")
    print(f"|re-rank - sentence-transformers| nDCG@10 = {re_rank_gap:.5f} (goal <= 0.001)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
