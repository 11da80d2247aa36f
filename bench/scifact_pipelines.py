"""SciFact pipelines in one run: BM25, dense, hybrid RRF, and BM25 top 100 re-ranked by the MiniLM bi-encoder.

One :class:`lightning_ir.experiment.Pipeline` (the Python form of ``configs/pipeline-scifact-hybrid.yaml`` plus a
re-ranking stage) runs on beir/scifact/test:

1. ``bm25``: BM25 with bm25s' defaults (Lucene, k1 1.5, b 0.75, English stop words, no stemming), top 100; indexed
   first. Reference: bm25s' own retrieval on the same corpus (checked below: same documents, same scores).
2. ``dense``: sentence-transformers/all-MiniLM-L6-v2 (256 tokens, cosine), exact dense index, top 100; indexed first
   (about 7 minutes on 2 idle CPU cores). Reference nDCG@10 0.6451 (MTEB).
3. ``fused-rrf``: reciprocal rank fusion (k 60) of 1 and 2. Goal nDCG@10 >= 0.68.
4. ``bm25-re-ranked``: the BM25 top 100 re-scored by the same MiniLM bi-encoder (30,000 query-document pairs).

Then the experiment report (nDCG@10, R@100; paired t-test and randomisation test against BM25, Holm-Bonferroni
corrected) with its significance marks, the time of every step, and beside the pipeline: bm25s used directly on the
same corpus (reference equality) and BM25 with English stemming (PyStemmer).

    python bench/scifact_pipelines.py                       # writes bench/results/scifact_pipelines.json
    python bench/scifact_pipelines.py --dense-index indexes/beir-scifact/all-MiniLM-L6-v2   # search an existing index

Runs and indexes go to runs/scifact-pipelines/ and indexes/scifact-pipelines/; the report folder (report.md,
report.csv, PNG plots) to bench/results/scifact_pipelines_report/. IR_DATASETS_HOME defaults to .cache/ir_datasets
(filled from ../shared/ir_datasets when empty); the model is read from the Hugging Face cache when it is there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from environment import prepare_environment

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
METRICS = ["nDCG@10", "R@100"]


def build_pipeline(args: argparse.Namespace) -> Any:
    """The four-stage pipeline with its report."""
    from lightning_ir import BiEncoderModule
    from lightning_ir.experiment import BM25Stage, DenseStage, FusionStage, Pipeline, ReRankStage
    from lightning_ir.retrieve import BM25SearchConfig, TorchDenseIndexConfig, TorchDenseSearchConfig

    indexes = Path(args.index_dir)
    dense_index = Path(args.dense_index) if args.dense_index else indexes / "all-MiniLM-L6-v2"
    return Pipeline(
        query_dataset=args.query_dataset,
        doc_dataset=args.doc_dataset,
        output_dir=args.work_dir,
        first_stages=[
            BM25Stage(indexes / "bm25", search_config=BM25SearchConfig(k=100)),
            DenseStage(
                BiEncoderModule(args.model),
                dense_index,
                index=not args.dense_index,
                index_config=TorchDenseIndexConfig(),
                search_config=TorchDenseSearchConfig(k=100),
                batch_size=32,
            ),
        ],
        fusion=FusionStage("rrf", k=60),
        re_rank=ReRankStage(
            BiEncoderModule(args.model), depth=100, input_stage="bm25", batch_size=4, name="bm25-re-ranked"
        ),
        metrics=METRICS,
        baseline="bm25",
        report_dir=args.report_dir,
        trainer_kwargs={"accelerator": "cpu", "devices": 1, "enable_progress_bar": args.progress},
    )


def bm25s_reference(args: argparse.Namespace, run_path: Path) -> dict[str, Any]:
    """bm25s used directly (tokenize, index, retrieve with its defaults) against the pipeline's BM25 run."""
    import bm25s

    from lightning_ir.data import DocDataset, QueryDataset
    from lightning_ir.experiment import load_run

    start = time.perf_counter()
    docs = list(DocDataset(args.doc_dataset).iter_all())
    queries = list(QueryDataset(args.query_dataset).iter_all())
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([doc.doc for doc in docs], show_progress=False), show_progress=False)
    tokens = bm25s.tokenize([query.query for query in queries], show_progress=False)
    k = min(100, len(docs))
    indices, scores = retriever.retrieve(tokens, k=k, show_progress=False)
    seconds = time.perf_counter() - start
    ours = load_run(run_path)
    same_docs, max_difference = True, 0.0
    for query, row, row_scores in zip(queries, indices.tolist(), scores.tolist(), strict=True):
        expected = {docs[index].doc_id: score for index, score in zip(row, row_scores, strict=True)}
        mine = ours.get(query.query_id, {})
        same_docs = same_docs and set(mine) == set(expected)
        max_difference = max([max_difference] + [abs(mine.get(d, float("inf")) - s) for d, s in expected.items()])
    return {"same_documents": same_docs, "max_abs_score_difference": max_difference, "seconds": seconds}


def bm25_stemmed(args: argparse.Namespace) -> dict[str, Any]:
    """BM25 with English stemming (PyStemmer), evaluated with ir_measures."""
    import ir_measures

    from lightning_ir.data import QueryDataset
    from lightning_ir.retrieve import BM25IndexConfig, BM25Indexer, BM25SearchConfig, BM25Searcher

    index_dir = Path(args.index_dir) / "bm25-stemmed"
    start = time.perf_counter()
    BM25Indexer(index_dir, BM25IndexConfig(stemmer="english")).index(args.doc_dataset)
    dataset = QueryDataset(args.query_dataset)
    query_ids, result = BM25Searcher(index_dir, BM25SearchConfig(k=100)).search_dataset(dataset)
    seconds = time.perf_counter() - start
    run = {
        query_id: {doc_id: float(score) for doc_id, score in zip(doc_ids, scores.tolist(), strict=True)}
        for query_id, doc_ids, scores in zip(query_ids, result.doc_ids, result.scores, strict=True)
    }
    qrels = {s.query_id: {q["doc_id"]: int(q["relevance"]) for q in s.qrels or []} for s in dataset.iter_all()}
    measures = {metric: ir_measures.parse_measure(metric) for metric in METRICS}
    values = ir_measures.calc_aggregate(list(measures.values()), qrels, run)
    return {"metrics": {m: float(values[measure]) for m, measure in measures.items()}, "seconds": seconds}


def figures_of(result: Any) -> dict[str, Any]:
    """The report's means, significance tests and table, the run files and the timings as JSON-ready values."""
    report = result.report
    comparisons = [
        {
            "system": c.system,
            "measure": c.measure,
            "difference": c.difference,
            "t_test_p_holm": c.t_test_p_holm,
            "randomisation_p_holm": c.randomisation_p_holm,
            "significant_t_test": c.significant_t_test,
            "significant_randomisation": c.significant_randomisation,
        }
        for c in report.comparisons
    ]
    return {
        "systems": report.means,
        "baseline": report.baseline,
        "comparisons": comparisons,
        "report_table": str(report),
        "report_files": [str(path) for path in report.files],
        "runs": {name: str(path) for name, path in result.runs.items()},
        "seconds": result.seconds,
    }


def main() -> None:
    """Run the pipeline and the references, print the figures and write the JSON file."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--doc-dataset", default="beir/scifact")
    parser.add_argument("--query-dataset", default="beir/scifact/test")
    parser.add_argument("--dense-index", default=None, help="search this existing dense index instead of indexing")
    parser.add_argument("--work-dir", default=str(REPO_ROOT / "runs" / "scifact-pipelines"), help="runs go here")
    parser.add_argument("--index-dir", default=str(REPO_ROOT / "indexes" / "scifact-pipelines"), help="indexes here")
    parser.add_argument("--report-dir", default=str(REPO_ROOT / "bench" / "results" / "scifact_pipelines_report"))
    parser.add_argument("--json", default=str(REPO_ROOT / "bench" / "results" / "scifact_pipelines.json"))
    parser.add_argument("--progress", action="store_true", help="show the trainer's progress bars")
    args = parser.parse_args()
    prepare_environment(args.model)
    sys.path.insert(0, str(REPO_ROOT))
    import torch

    machine = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
    }
    print(f"CPU capability {machine['cpu_capability']}, torch {machine['torch']}, {machine['torch_threads']} threads")
    start = time.perf_counter()
    result = build_pipeline(args).run()
    figures: dict[str, Any] = {"machine": machine, "pipeline_seconds": time.perf_counter() - start}
    figures.update(figures_of(result))
    print(figures["report_table"])
    figures["bm25s_reference"] = bm25s_reference(args, result.runs["bm25"])
    figures["bm25_stemmed"] = bm25_stemmed(args)
    print(f"\n{'step':24} seconds")
    for step, seconds in figures["seconds"].items():
        print(f"{step:24} {seconds:8.1f}")
    print(f"\nbm25s used directly: {figures['bm25s_reference']}")
    print(f"BM25 with stemmer=english: {figures['bm25_stemmed']}")
    print(f"report folder: {args.report_dir}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
