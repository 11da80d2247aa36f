"""Search at scale: our exact torch search and faiss IVF against raw faiss, measured in the same run.

Usage::

    python bench/search_scale.py                    # 1,000,000 x 384 documents, 1,000 queries
    python bench/search_scale.py --num-docs 100000  # smaller

Prints queries/s of ``TorchDenseSearcher`` vs raw faiss ``IndexFlatIP`` (goal >= 0.8x), recall@10 of the faiss IVF
index against exact search and its queries/s vs the same faiss index searched directly, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from lightning_ir.retrieve import (
    FaissIVFIndexConfig,
    FaissSearchConfig,
    TorchDenseIndexConfig,
    TorchDenseSearchConfig,
)
from lightning_ir.retrieve.base import Indexer


def peak_memory_gib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def random_unit_vectors(num: int, dim: int, seed: int, chunk: int = 1 << 17) -> np.ndarray:
    """``(num, dim)`` float32 random unit vectors, generated in place chunk by chunk (no float64 copy)."""
    rng = np.random.default_rng(seed)
    vectors = np.empty((num, dim), dtype=np.float32)
    for start in range(0, num, chunk):
        block = vectors[start : start + chunk]
        rng.standard_normal(out=block, dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return vectors


def clustered_unit_vectors(num: int, dim: int, seed: int, chunk: int = 1 << 17) -> np.ndarray:
    """Unit vectors around 1,000 centres in a 32-dim subspace plus noise (structure like real embeddings)."""
    structure = np.random.default_rng(12345)
    projection = structure.standard_normal((32, dim), dtype=np.float32)
    centres = structure.standard_normal((1000, 32), dtype=np.float32) * 2
    rng = np.random.default_rng(seed)
    vectors = np.empty((num, dim), dtype=np.float32)
    for start in range(0, num, chunk):
        size = min(chunk, num - start)
        latent = centres[rng.integers(0, 1000, size)] + rng.standard_normal((size, 32), dtype=np.float32)
        block = latent @ projection + 0.5 * rng.standard_normal((size, dim), dtype=np.float32)
        vectors[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return vectors


def timed_pair(ours: Callable[[], Any], raw: Callable[[], Any], repeats: int) -> tuple[float, Any, float, Any]:
    """Best wall times of ``ours`` and ``raw``, run alternately (fair under a fluctuating machine load).

    Returns:
        ``(ours_seconds, ours_result, raw_seconds, raw_result)``.
    """
    best = [float("inf"), float("inf")]
    results: list[Any] = [None, None]
    for _ in range(repeats):
        for slot, function in enumerate((ours, raw)):
            start = time.perf_counter()
            results[slot] = function()
            best[slot] = min(best[slot], time.perf_counter() - start)
    return best[0], results[0], best[1], results[1]


def build(indexer: Indexer, docs: np.ndarray, batch_size: int = 1 << 16) -> Path:
    """Adds the documents in batches (ids are their row numbers) and saves the index."""
    for start in range(0, docs.shape[0], batch_size):
        batch = torch.from_numpy(docs[start : start + batch_size])[:, None]
        ids = [str(i) for i in range(start, start + batch.shape[0])]
        indexer.add(ids, batch, torch.ones(batch.shape[0], 1, dtype=torch.bool))
    return indexer.save()


def recall(found: list[list[str]], expected: np.ndarray) -> float:
    """Mean recall@k of result doc ids against expected row numbers ``(queries, k)``."""
    hits = sum(
        len({int(doc_id) for doc_id in ids} & set(row.tolist())) for ids, row in zip(found, expected, strict=True)
    )
    return hits / expected.size


def bench_exact(args: argparse.Namespace, work: Path, docs: np.ndarray, queries: np.ndarray, faiss) -> np.ndarray:
    """Time the exact torch search against faiss IndexFlatIP; returns faiss's top-k ids (the exact answer)."""
    config = SimpleNamespace(model_type="bi-encoder", similarity_function="dot", query_aggregation_function="sum")
    start = time.perf_counter()
    index_dir = build(TorchDenseIndexConfig.indexer_class(work / "exact", TorchDenseIndexConfig(), config), docs)
    searcher = TorchDenseSearchConfig.searcher_class(index_dir, TorchDenseSearchConfig(k=args.k), config)
    print(f"torch exact index built and loaded in {time.perf_counter() - start:.1f}s")
    query_tensor, query_mask = torch.from_numpy(queries)[:, None], torch.ones(len(queries), 1, dtype=torch.bool)

    flat = faiss.IndexFlatIP(docs.shape[1])
    flat.add(docs)
    ours_s, result, raw_s, (_, raw_ids) = timed_pair(
        lambda: searcher.search(query_tensor, query_mask), lambda: flat.search(queries, args.k), args.repeats
    )
    ours_ids = np.array([[int(i) for i in ids] for ids in result.doc_ids])
    agree = float((ours_ids == raw_ids).mean())
    qps, raw_qps = len(queries) / ours_s, len(queries) / raw_s
    print(
        f"exact  TorchDenseSearcher {qps:9.1f} q/s | faiss IndexFlatIP {raw_qps:9.1f} q/s | ratio {qps / raw_qps:.2f}x"
    )
    print(f"       same top-{args.k} as faiss: {agree:.4f}")
    return raw_ids


def bench_ivf(args: argparse.Namespace, work: Path, docs: np.ndarray, queries: np.ndarray, exact_ids, faiss) -> None:
    """Time the faiss IVF searcher against raw faiss on the same index and print its recall against exact search."""
    config = SimpleNamespace(model_type="bi-encoder", similarity_function="dot", query_aggregation_function="sum")
    index_config = FaissIVFIndexConfig(num_train_embeddings=args.num_train, num_centroids=args.num_centroids)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        index_dir = build(index_config.indexer_class(work / "ivf", index_config, config), docs)
    print(f"faiss IVF{args.num_centroids} index built in {time.perf_counter() - start:.1f}s")
    search_config = FaissSearchConfig(k=args.k, n_probe=args.n_probe, ef_search=max(16, args.n_probe))
    searcher = search_config.searcher_class(index_dir, search_config, config)
    query_tensor, query_mask = torch.from_numpy(queries)[:, None], torch.ones(len(queries), 1, dtype=torch.bool)
    raw = faiss.read_index(str(index_dir / "index.faiss"))
    ivf = faiss.extract_index_ivf(raw)
    ivf.nprobe = args.n_probe
    faiss.downcast_index(ivf.quantizer).hnsw.efSearch = max(16, args.n_probe)
    ours_s, result, raw_s, _ = timed_pair(
        lambda: searcher.search(query_tensor, query_mask), lambda: raw.search(queries, args.k), args.repeats
    )
    qps, raw_qps = len(queries) / ours_s, len(queries) / raw_s
    print(
        f"IVF    FaissSearcher      {qps:9.1f} q/s | raw faiss IVF     {raw_qps:9.1f} q/s | ratio {qps / raw_qps:.2f}x"
    )
    print(f"       recall@{args.k} vs exact (n_probe={args.n_probe}): {recall(result.doc_ids, exact_ids):.4f}")


def main() -> None:
    """Build the vectors, then time exact and IVF search against faiss."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-docs", type=int, default=1_000_000)
    parser.add_argument("--num-queries", type=int, default=1_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--num-centroids", type=int, default=1024)
    parser.add_argument("--num-train", type=int, default=65_536, help="IVF training vectors (random sample)")
    parser.add_argument("--n-probe", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per searcher; the best is reported")
    parser.add_argument("--data", choices=["random", "clustered"], default="random")
    parser.add_argument("--work-dir", type=Path, default=None, help="where indexes are written (default: a temp dir)")
    args = parser.parse_args()
    import faiss

    print(f"torch threads {torch.get_num_threads()}, faiss threads {faiss.omp_get_max_threads()}")
    start = time.perf_counter()
    make = random_unit_vectors if args.data == "random" else clustered_unit_vectors
    docs = make(args.num_docs, args.dim, seed=0)
    queries = make(args.num_queries, args.dim, seed=1)
    elapsed = time.perf_counter() - start
    print(f"{args.data}: {args.num_docs} x {args.dim} documents, {args.num_queries} queries in {elapsed:.1f}s")
    with tempfile.TemporaryDirectory(dir=args.work_dir) as work:
        exact_ids = bench_exact(args, Path(work), docs, queries, faiss)
        print(f"peak memory after exact: {peak_memory_gib():.2f} GiB")
        bench_ivf(args, Path(work), docs, queries, exact_ids, faiss)
    print(f"peak memory (maxrss): {peak_memory_gib():.2f} GiB (documents alone: {docs.nbytes / 2**30:.2f} GiB)")


if __name__ == "__main__":
    main()
