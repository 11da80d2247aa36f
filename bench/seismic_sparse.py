"""Approximate sparse search with Seismic against exact sparse search, on a synthetic SPLADE-like corpus.

Usage::

    python bench/seismic_sparse.py                     # 100,000 documents, 1,000 queries
    python bench/seismic_sparse.py --num-docs 20000

The corpus is synthetic (no trained SPLADE model runs here): 30,522-term vocabulary (BERT's), document terms drawn
from a Zipf distribution (exponent 1.0 over a random order of the vocabulary, as word frequencies are), about 120
non-zero terms per document and 30 per query (log-normal spread), weights that grow with a term's rarity (an
IDF-like factor times log-normal noise, as SPLADE's weights do). Each query takes half of its terms from one
document's strongest terms and the rest from the Zipf distribution, so every query has documents that match it well.

Both indexes are built and searched through Lightning IR's indexers and searchers. Prints queries/s of the exact
``SparseSearcher`` and of ``SeismicSearcher`` for several ``(query_cut, heap_factor)`` settings with recall@10
against the exact top 10 (goal: recall@10 >= 0.95 at >= 5x the exact queries/s), and writes
``bench/results/seismic_sparse.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from lightning_ir.precision import describe_cpu
from lightning_ir.retrieve import SeismicIndexConfig, SeismicSearchConfig, SparseIndexConfig, SparseSearchConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "seismic_sparse.json"
VOCAB = 30522
SETTINGS = [(5, 0.7), (10, 0.7), (10, 0.8), (15, 0.8), (20, 0.8), (20, 0.9), (30, 0.9)]


class ZipfCorpus:
    """Synthetic SPLADE-like sparse vectors (see the module docstring)."""

    def __init__(self, seed: int = 0, exponent: float = 1.0) -> None:
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(VOCAB)  # term id of each frequency rank
        rank_of = np.empty(VOCAB)
        rank_of[self.order] = np.arange(1, VOCAB + 1)
        self.idf = (np.log1p(rank_of) / np.log1p(VOCAB)).astype(np.float32)
        weights = 1.0 / np.arange(1, VOCAB + 1) ** exponent
        self.cdf = np.cumsum(weights / weights.sum())

    def _terms(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per row, ``counts[row]`` Zipf-drawn terms (duplicates merged): ``(rows, terms)`` sorted by row, term."""
        draws = int(counts.sum() * 1.3)
        ranks = np.minimum(np.searchsorted(self.cdf, self.rng.random(draws)), VOCAB - 1)
        rows = np.repeat(np.arange(counts.shape[0]), (counts * 1.3).astype(np.int64) + 1)[:draws]
        pairs = np.unique(rows.astype(np.int64) * VOCAB + self.order[ranks])
        return pairs // VOCAB, pairs % VOCAB

    def documents(self, num: int, mean_terms: float = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``num`` documents as CSR arrays ``(crow, columns, values)``."""
        counts = np.maximum(5, self.rng.lognormal(np.log(mean_terms), 0.4, num)).astype(np.int64)
        rows, columns = self._terms(counts)
        values = self.idf[columns] * self.rng.lognormal(0.0, 0.5, columns.shape[0]).astype(np.float32)
        crow = np.zeros(num + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=num), out=crow[1:])
        return crow, columns, values.astype(np.float32)

    def queries(self, num: int, docs: tuple[np.ndarray, np.ndarray, np.ndarray], mean_terms: float = 30) -> Any:
        """``(num, 1, vocab)`` dense query vectors: half from a random document's strongest terms, half Zipf."""
        crow, columns, values = docs
        counts = np.maximum(4, self.rng.lognormal(np.log(mean_terms / 2), 0.3, num)).astype(np.int64)
        rows, terms = self._terms(counts)
        queries = torch.zeros(num, 1, VOCAB)
        queries[torch.from_numpy(rows), 0, torch.from_numpy(terms)] = torch.from_numpy(
            self.idf[terms] * self.rng.lognormal(0.0, 0.5, terms.shape[0]).astype(np.float32)
        )
        for query, doc in enumerate(self.rng.integers(0, crow.shape[0] - 1, num)):
            doc_columns, doc_values = columns[crow[doc] : crow[doc + 1]], values[crow[doc] : crow[doc + 1]]
            strongest = np.argsort(-doc_values)[: counts[query]]
            queries[query, 0, torch.from_numpy(doc_columns[strongest])] = torch.from_numpy(doc_values[strongest])
        return queries


def model_config() -> SimpleNamespace:
    """A duck-typed SPLADE config (dot product), as the indexers and searchers read it."""
    return SimpleNamespace(
        model_type="splade",
        similarity_function="dot",
        query_aggregation_function="sum",
        embedding_dim=None,
        to_dict=lambda: {"model_type": "splade"},
    )


def build(index_dir: Path, index_config: Any, docs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    """Builds an index from CSR documents in batches of 1,024 through the indexer; returns the seconds taken."""
    crow, columns, values = docs
    start = time.perf_counter()
    indexer = index_config.indexer_class(index_dir, index_config, model_config())
    for first in range(0, crow.shape[0] - 1, 1024):
        last = min(first + 1024, crow.shape[0] - 1)
        matrix = torch.sparse_csr_tensor(
            torch.from_numpy(crow[first : last + 1] - crow[first]),
            torch.from_numpy(columns[crow[first] : crow[last]]),
            torch.from_numpy(values[crow[first] : crow[last]]),
            size=(last - first, VOCAB),
        )
        embeddings = matrix.to_dense()[:, None]
        indexer.add([f"d{i}" for i in range(first, last)], embeddings, torch.ones(last - first, 1, dtype=torch.bool))
    indexer.save()
    return time.perf_counter() - start


def timed_search(index_dir: Path, search_config: Any, queries: torch.Tensor, batch: int = 100) -> tuple[float, list]:
    """Queries/s of searching all queries in batches, and the doc ids found."""
    searcher = search_config.searcher_class(index_dir, search_config, model_config())
    mask = torch.ones(queries.shape[0], 1, dtype=torch.bool)
    found: list[list[str]] = []
    start = time.perf_counter()
    for first in range(0, queries.shape[0], batch):
        found += searcher.search(queries[first : first + batch], mask[first : first + batch]).doc_ids
    return queries.shape[0] / (time.perf_counter() - start), found


def recall(found: list[list[str]], exact: list[list[str]]) -> float:
    """Mean fraction of each query's exact top-k that was found."""
    return float(np.mean([len(set(f) & set(e)) / max(1, len(e)) for f, e in zip(found, exact, strict=True)]))


def main() -> None:
    """Builds both indexes, searches them alternately and writes the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-docs", type=int, default=100_000)
    parser.add_argument("--num-queries", type=int, default=1000)
    parser.add_argument("--n-postings", type=int, default=SeismicIndexConfig.n_postings)
    args = parser.parse_args()
    print(f"CPU capability: {describe_cpu()}; torch threads: {torch.get_num_threads()}", flush=True)
    corpus = ZipfCorpus()
    docs = corpus.documents(args.num_docs)
    queries = corpus.queries(args.num_queries, docs)
    nnz = docs[0][-1]
    print(
        f"{args.num_docs} documents ({nnz / args.num_docs:.0f} terms each), {args.num_queries} queries "
        f"({float((queries != 0).sum()) / args.num_queries:.0f} terms each)",
        flush=True,
    )
    results: dict[str, Any] = {
        "cpu": describe_cpu(),
        "num_docs": args.num_docs,
        "num_queries": args.num_queries,
        "doc_terms": nnz / args.num_docs,
        "corpus": "synthetic Zipf (see bench docstring)",
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results["exact_build_s"] = build(root / "exact", SparseIndexConfig(), docs)
        seismic_config = SeismicIndexConfig(n_postings=args.n_postings)
        results["seismic_build_s"] = build(root / "seismic", seismic_config, docs)
        print(f"built: exact {results['exact_build_s']:.0f} s, Seismic {results['seismic_build_s']:.0f} s", flush=True)
        rounds = []
        for _ in range(2):  # alternate exact and Seismic searches, keep the better round of each
            exact_qps, exact = timed_search(root / "exact", SparseSearchConfig(k=10), queries)
            row = {"exact_qps": exact_qps}
            for query_cut, heap_factor in SETTINGS:
                config = SeismicSearchConfig(k=10, query_cut=query_cut, heap_factor=heap_factor)
                qps, found = timed_search(root / "seismic", config, queries)
                row[f"{query_cut}/{heap_factor}"] = {"qps": qps, "recall@10": recall(found, exact)}
            rounds.append(row)
    exact_qps = max(row["exact_qps"] for row in rounds)
    print(f"exact SparseSearcher: {exact_qps:.1f} queries/s")
    settings = {}
    for query_cut, heap_factor in SETTINGS:
        key = f"{query_cut}/{heap_factor}"
        qps = max(row[key]["qps"] for row in rounds)
        settings[key] = {
            "query_cut": query_cut,
            "heap_factor": heap_factor,
            "qps": qps,
            "recall@10": rounds[0][key]["recall@10"],
            "speedup": qps / exact_qps,
        }
        print(
            f"Seismic query_cut={query_cut:<3} heap_factor={heap_factor}: {qps:8.1f} queries/s "
            f"({qps / exact_qps:5.1f}x), recall@10 {settings[key]['recall@10']:.3f}"
        )
    results.update(exact_qps=exact_qps, seismic=settings, rounds=rounds)
    passing = [s for s in settings.values() if s["recall@10"] >= 0.95 and s["speedup"] >= 5]
    results["goal_met_by"] = [f"{s['query_cut']}/{s['heap_factor']}" for s in passing]
    print(f"goal (recall@10 >= 0.95 at >= 5x): met by {results['goal_met_by'] or 'no setting'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
