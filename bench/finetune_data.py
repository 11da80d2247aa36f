"""SciFact data, runs and evaluation, and BM25 mining for ``finetune_scifact.py``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


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


def mine(args: argparse.Namespace, dense: bool = False) -> dict[str, Any]:
    """Mines the training tuples with BM25 or, when ``dense``, with all-MiniLM-L6-v2 (exact dense search).

    The BM25 tuples go to ``mined/``, the dense ones to ``mined-minilm/`` (see :func:`mined_dir`); each first stage
    builds its index of SciFact first.
    """
    from lightning_ir import BiEncoderModule
    from lightning_ir.experiment import BM25Stage, DenseStage, HardNegativeMiner
    from lightning_ir.retrieve import TorchDenseSearchConfig
    from lightning_ir.retrieve.bm25 import BM25SearchConfig

    stage: Any
    if dense:
        module = BiEncoderModule(MODEL)
        set_lengths(module, args.query_length, args.doc_length)
        search = TorchDenseSearchConfig(k=args.max_rank)
        stage = DenseStage(module, args.work_dir / "minilm-index", search_config=search, batch_size=64, name="minilm")
    else:
        stage = BM25Stage(args.work_dir / "bm25-index", search_config=BM25SearchConfig(k=args.max_rank))
    miner = HardNegativeMiner(
        query_dataset="beir/scifact/train",
        doc_dataset="beir/scifact",
        output_dir=args.work_dir / ("mined-minilm" if dense else "mined"),
        first_stage=stage,
        num_negatives=args.num_negatives,
        min_rank=args.min_rank,
        max_rank=args.max_rank,
        seed=args.seed,
    )
    result = miner.run()
    print(f"mined {result.num_tuples} tuples of {result.num_queries} queries (skipped {result.skipped})", flush=True)
    return {"tuples": result.num_tuples, "queries": result.num_queries, "skipped": result.skipped, **result.seconds}


def mined_dir(args: argparse.Namespace, recipe: str) -> Path:
    """The tuples a recipe trains on: BM25's, or all-MiniLM-L6-v2's for the cross-encoder with ``--cross-mining``."""
    return args.work_dir / ("mined-minilm" if recipe == "cross" and args.cross_mining == "minilm" else "mined")


def set_lengths(module: Any, query_length: int, doc_length: int) -> None:
    """Sets a module's query and document lengths (the tokenizer reads them from the config).

    A cross-encoder's ``doc_length`` bounds the whole query-document pair.
    """
    module.config.query_length, module.config.doc_length = query_length, doc_length
    module.tokenizer = type(module.tokenizer).from_pretrained(MODEL, config=module.config)


def save_json_run(path: Path, run: dict[str, dict[str, float]]) -> None:
    """Keeps a run (``{query_id: {doc_id: score}}``) as JSON."""
    path.write_text(json.dumps(run))


def load_json_run(path: Path) -> dict[str, dict[str, float]] | None:
    """A run kept by :func:`save_json_run`, or None."""
    return json.loads(path.read_text()) if path.exists() else None


def cpu_trainer(root: Path, callbacks: list[Any], **limits: Any) -> Any:
    """A quiet one-process CPU ``LightningIRTrainer`` (no logger, checkpoints or progress bar) with ``limits``."""
    from lightning_ir.trainer import LightningIRTrainer

    return LightningIRTrainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=False,
        callbacks=callbacks,
        default_root_dir=str(root),
        **limits,
    )
