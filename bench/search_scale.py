"""Dense indexes at scale: streamed indexing, exact search against faiss, out-of-core search, storage precisions.

Usage::

    python bench/search_scale.py                                   # 1M, 2M and 4M x 384 (takes a while)
    python bench/search_scale.py --sizes 100000 200000 --num-queries 200   # a quick look
    python bench/search_scale.py --index-only --output bench/results/search_scale_index_rss.json  # indexing RSS only

Every phase runs in a child process of its own, so its peak resident memory (``ru_maxrss``) is that phase's alone:

- ``index``: documents are generated batch by batch (never all in memory) and added to a ``TorchDenseIndexer``, which
  streams them to disk; peak RSS should not grow with the number of documents. Run ``--index-repeats`` times per size
  (the median is compared: one run's peak varies by up to 0.1 GiB with 65,536-document batches). The one thing kept
  per document is the id set that refuses duplicate ids (8 bytes per id).
- ``search``: the index is loaded into memory and searched exactly (peak RSS against the index size on disk), then
  a faiss ``IndexFlatIP`` is filled from the same vectors and both are timed alternately (queries/s ratio) in the
  same process; the exact top-k ids are kept for the other phases.
- ``out-of-core``: the largest index is searched with ``in_memory=False``: the vectors are read from disk block by
  block with explicit reads (no memory map, whose resident pages would count in RSS), so peak RSS stays far below
  the index size; the top-k must equal the in-memory search's.
- ``precision``: float16 / bfloat16 / int8 indexes of the same documents: recall@k against float32 exact search and
  their size on disk.
- ``ivf`` (with ``--ivf``, at the smallest size): a faiss IVF index built by ``FaissIVFIndexer`` (streamed the same
  way), searched through ``FaissSearcher`` and directly with faiss: queries/s ratio and recall@k against exact search.

The children import ``lightning_ir.retrieve`` on its own (the retrieval package never imports Lightning; a search
service needs nothing else), so their memory is torch's plus the index's. Results go to
``bench/results/search_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "search_scale.json"
GIB = 2**30


def import_retrieve() -> types.ModuleType:
    """``lightning_ir.retrieve`` without running ``lightning_ir/__init__.py`` (which loads the training stack)."""
    if "lightning_ir" not in sys.modules:
        package = types.ModuleType("lightning_ir")
        package.__path__ = [str(ROOT / "lightning_ir")]
        sys.modules["lightning_ir"] = package
    import lightning_ir.retrieve as retrieve

    return retrieve


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def clustered_unit_vectors(num: int, dim: int, seed: int | list[int]) -> np.ndarray:
    """Unit vectors around 1,000 centres in a 32-dim subspace plus noise (structure like real embeddings)."""
    structure = np.random.default_rng(12345)
    projection = structure.standard_normal((32, dim), dtype=np.float32)
    centres = structure.standard_normal((1000, 32), dtype=np.float32) * 2
    rng = np.random.default_rng(seed)
    latent = centres[rng.integers(0, 1000, num)] + rng.standard_normal((num, 32), dtype=np.float32)
    block = latent @ projection + 0.5 * rng.standard_normal((num, dim), dtype=np.float32)
    block /= np.linalg.norm(block, axis=1, keepdims=True)
    return block


def document_batches(num_docs: int, dim: int, batch_size: int):
    """Yields ``(doc ids, (batch, dim) vectors)``; batch ``b`` depends only on ``b`` (seeded with it)."""
    for number, start in enumerate(range(0, num_docs, batch_size)):
        count = min(batch_size, num_docs - start)
        yield [str(i) for i in range(start, start + count)], clustered_unit_vectors(count, dim, [0, number])


def model_config() -> types.SimpleNamespace:
    """A duck-typed bi-encoder config (dot product, single vector)."""
    return types.SimpleNamespace(model_type="bi-encoder", similarity_function="dot", query_aggregation_function="sum")


def disk_bytes(index_dir: Path) -> int:
    """Total size of the files of an index."""
    return sum(path.stat().st_size for path in index_dir.rglob("*") if path.is_file())


# ---- child phases ---------------------------------------------------------------------------------------------------


def phase_index(args: argparse.Namespace) -> dict[str, Any]:
    """Streams the documents into an index of the given precision."""
    import torch

    retrieve = import_retrieve()
    rss_imports = peak_rss_gib()
    index_config = retrieve.TorchDenseIndexConfig(precision=args.precision)
    indexer = index_config.indexer_class(args.index_dir, index_config, model_config())
    start = time.perf_counter()
    for doc_ids, vectors in document_batches(args.num_docs, args.dim, args.batch_size):
        indexer.add(doc_ids, torch.from_numpy(vectors)[:, None], torch.ones(len(doc_ids), 1, dtype=torch.bool))
    indexer.save()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "docs_per_second": args.num_docs / seconds,
        "peak_rss_gib": peak_rss_gib(),
        "rss_after_imports_gib": rss_imports,
        "disk_gib": disk_bytes(args.index_dir) / GIB,
        "vectors_gib": sum(
            path.stat().st_size
            for path in Path(args.index_dir).rglob("*.npy")
            if path.name in ("embeddings.npy", "codes.npy")
        )
        / GIB,  # fmt: skip
    }


def alternately(first: Any, second: Any, repeats: int) -> tuple[tuple[float, Any], tuple[float, Any]]:
    """Best wall times (and results) of two functions run in turns, fair under a fluctuating machine load."""
    best, results = [float("inf"), float("inf")], [None, None]
    for _ in range(repeats):
        for slot, function in enumerate((first, second)):
            start = time.perf_counter()
            results[slot] = function()
            best[slot] = min(best[slot], time.perf_counter() - start)
    return (best[0], results[0]), (best[1], results[1])


def vector_bytes(index_dir: Path) -> int:
    """Size of the stored vectors of an index (without doc ids and lengths)."""
    files = [path for path in Path(index_dir).rglob("*.npy") if path.name in ("embeddings.npy", "codes.npy")]
    return sum(path.stat().st_size for path in files)


def best_time(function: Any, repeats: int) -> tuple[float, Any]:
    """Best wall time of ``repeats`` calls and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def phase_search(args: argparse.Namespace) -> dict[str, Any]:
    """Exact in-memory search (peak RSS), then queries/s against faiss IndexFlatIP timed alternately."""
    import torch

    retrieve = import_retrieve()
    rss_imports = peak_rss_gib()
    queries = clustered_unit_vectors(args.num_queries, args.dim, 1)
    query_tensor, query_mask = torch.from_numpy(queries)[:, None], torch.ones(len(queries), 1, dtype=torch.bool)
    search_config = retrieve.TorchDenseSearchConfig(k=args.k, in_memory=not args.out_of_core)
    start = time.perf_counter()
    searcher = search_config.searcher_class(args.index_dir, search_config, model_config())
    load_seconds = time.perf_counter() - start
    ours = lambda: searcher.search(query_tensor, query_mask)  # noqa: E731
    seconds, result = best_time(ours, 1 if args.out_of_core else args.repeats)
    ids = np.array([[int(doc_id) for doc_id in row] for row in result.doc_ids])
    np.save(args.ids_out, ids)
    record: dict[str, Any] = {
        "load_seconds": load_seconds,
        "qps": args.num_queries / seconds,
        "peak_rss_gib": peak_rss_gib(),
        "rss_after_imports_gib": rss_imports,
        "disk_gib": disk_bytes(args.index_dir) / GIB,
    }
    if args.reference_ids:
        expected = np.load(args.reference_ids)
        hits = sum(len(set(row) & set(want)) for row, want in zip(ids.tolist(), expected.tolist(), strict=True))
        record["recall_vs_float32"] = hits / expected.size
        record["identical_top_k"] = bool((ids == expected).all())
    if args.faiss and available_gib() > 1.5 * record["disk_gib"] + 2:
        record.update(compare_with_faiss(args, searcher, ours, queries))
    elif args.faiss:
        record["faiss_skipped"] = f"{available_gib():.1f} GiB available: too little for a second copy of the vectors"
    return record


def available_gib() -> float:
    """Memory available to new allocations (``MemAvailable`` of /proc/meminfo)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return float("inf")


def phase_ivf(args: argparse.Namespace) -> dict[str, Any]:
    """Builds a faiss IVF index through the indexer, then times FaissSearcher against the same faiss index."""
    import warnings

    import faiss
    import torch

    retrieve = import_retrieve()
    index_config = retrieve.FaissIVFIndexConfig(num_train_embeddings=args.num_train, num_centroids=args.num_centroids)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        indexer = index_config.indexer_class(args.index_dir, index_config, model_config())
        for doc_ids, vectors in document_batches(args.num_docs, args.dim, args.batch_size):
            indexer.add(doc_ids, torch.from_numpy(vectors)[:, None], torch.ones(len(doc_ids), 1, dtype=torch.bool))
        indexer.save()
    build_seconds = time.perf_counter() - start
    queries = clustered_unit_vectors(args.num_queries, args.dim, 1)
    query_tensor, query_mask = torch.from_numpy(queries)[:, None], torch.ones(len(queries), 1, dtype=torch.bool)
    search_config = retrieve.FaissSearchConfig(k=args.k, n_probe=args.n_probe, ef_search=max(16, args.n_probe))
    searcher = search_config.searcher_class(args.index_dir, search_config, model_config())
    raw = faiss.read_index(str(Path(args.index_dir) / "index.faiss"))
    ivf = faiss.extract_index_ivf(raw)
    ivf.nprobe = args.n_probe
    faiss.downcast_index(ivf.quantizer).hnsw.efSearch = max(16, args.n_probe)
    (ours_s, result), (raw_s, _) = alternately(
        lambda: searcher.search(query_tensor, query_mask), lambda: raw.search(queries, args.k), args.repeats
    )
    expected = np.load(args.reference_ids)
    found = [[int(doc_id) for doc_id in row] for row in result.doc_ids]
    hits = sum(len(set(row) & set(want)) for row, want in zip(found, expected.tolist(), strict=True))
    return {
        "build_seconds": build_seconds,
        "qps": args.num_queries / ours_s,
        "raw_faiss_qps": args.num_queries / raw_s,
        "qps_ratio_vs_raw_faiss": raw_s / ours_s,
        "recall_vs_exact": hits / expected.size,
        "peak_rss_gib": peak_rss_gib(),
    }


def compare_with_faiss(args: argparse.Namespace, searcher: Any, ours: Any, queries: np.ndarray) -> dict[str, Any]:
    """Fills a faiss IndexFlatIP with the index's vectors and times both searches alternately."""
    import faiss

    from lightning_ir.retrieve.base.npy_file import NpyReader

    reader = NpyReader(Path(args.index_dir) / "embeddings.npy")
    flat = faiss.IndexFlatIP(args.dim)
    for start in range(0, reader.num_rows, 1 << 16):
        flat.add(reader.read(start, start + (1 << 16)))
    (ours_s, result), (faiss_s, (_, faiss_ids)) = alternately(ours, lambda: flat.search(queries, args.k), args.repeats)
    ours_ids = np.array([[int(doc_id) for doc_id in row] for row in result.doc_ids])
    return {
        "qps_same_run": args.num_queries / ours_s,
        "faiss_qps": args.num_queries / faiss_s,
        "qps_ratio_vs_faiss": faiss_s / ours_s,
        "same_top_k_as_faiss": float((ours_ids == faiss_ids).mean()),
        "faiss_threads": faiss.omp_get_max_threads(),
    }


# ---- parent ---------------------------------------------------------------------------------------------------------


def run_child(phase: str, **options: Any) -> dict[str, Any]:
    """Runs one phase in a child process and returns the JSON it prints."""
    command = [sys.executable, __file__, "--phase", phase]
    for name, value in options.items():
        if value is True:
            command.append(f"--{name.replace('_', '-')}")
        elif value not in (None, False):
            command += [f"--{name.replace('_', '-')}", str(value)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def bench_size(args: argparse.Namespace, work: Path, num_docs: int) -> dict[str, Any]:
    """All phases for ``num_docs`` documents (the indexes are deleted afterwards)."""
    shared = {"num_docs": num_docs, "dim": args.dim, "num_queries": args.num_queries, "k": args.k}
    index_dir, ids = work / f"float32-{num_docs}", work / f"ids-float32-{num_docs}.npy"
    record: dict[str, Any] = {"index": index_repeatedly(args, index_dir, shared)}
    report("index float32", num_docs, record["index"])
    if args.index_only:
        remove_tree(index_dir)
        return record
    record["search"] = run_child("search", index_dir=index_dir, ids_out=ids, repeats=args.repeats, faiss=True, **shared)
    report("search in memory", num_docs, record["search"])
    if num_docs == max(args.sizes):
        out_of_core = {"ids_out": work / "ids-ooc.npy", "reference_ids": ids, "out_of_core": True}
        record["out_of_core"] = run_child("search", index_dir=index_dir, **out_of_core, **shared)
        report("search out of core", num_docs, record["out_of_core"])
    if num_docs in (args.precision_sizes or [min(args.sizes)]):
        for precision in args.precisions:
            record[precision] = bench_precision(args, work, precision, ids, record["index"], shared)
    if args.ivf and num_docs == min(args.sizes):
        ivf_options = {"num_centroids": args.num_centroids, "num_train": args.num_train, "n_probe": args.n_probe}
        options = {"reference_ids": ids, "repeats": args.repeats, "batch_size": args.batch_size, **ivf_options}
        record["ivf"] = run_child("ivf", index_dir=work / "ivf", **options, **shared)
        report(f"faiss IVF{args.num_centroids}", num_docs, record["ivf"])
        remove_tree(work / "ivf")
    remove_tree(index_dir)
    return record


def index_repeatedly(args: argparse.Namespace, index_dir: Path, shared: dict[str, Any]) -> dict[str, Any]:
    """The float32 index phase ``--index-repeats`` times; the median run's figures, with every run's peak RSS.

    A process's peak RSS varies by a few percent from run to run (the allocator), so the median is compared across
    sizes. The index of the last run is kept for the search phases.
    """
    runs = []
    for repeat in range(args.index_repeats):
        if repeat:
            remove_tree(index_dir)
        runs.append(run_child("index", index_dir=index_dir, batch_size=args.batch_size, **shared))
    median = sorted(runs, key=lambda run: run["peak_rss_gib"])[len(runs) // 2]
    return {**median, "peak_rss_gib_runs": [run["peak_rss_gib"] for run in runs]}


def bench_precision(
    args: argparse.Namespace, work: Path, precision: str, ids: Path, float32: dict[str, Any], shared: dict[str, Any]
) -> dict[str, Any]:
    """Builds and searches an index of another precision; recall and disk size against float32."""
    directory = work / f"{precision}-{shared['num_docs']}"
    built = run_child("index", index_dir=directory, precision=precision, batch_size=args.batch_size, **shared)
    options = {"ids_out": work / "ids-precision.npy", "reference_ids": ids, "repeats": 1}
    searched = run_child("search", index_dir=directory, **options, **shared)
    remove_tree(directory)
    ratios = {
        "disk_vs_float32": built["disk_gib"] / float32["disk_gib"],
        "vectors_disk_vs_float32": built["vectors_gib"] / float32["vectors_gib"],
    }
    report(precision, shared["num_docs"], {**searched, **ratios})
    return {"index": built, "search": searched, **ratios}


def remove_tree(path: Path) -> None:
    """Deletes an index the bench wrote into its temporary folder."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def report(what: str, num_docs: int, record: dict[str, Any]) -> None:
    """Prints one phase's figures."""
    shown = ", ".join(
        f"{key} {value:.3f}" if isinstance(value, float) else f"{key} {value}" for key, value in record.items()
    )
    print(f"{num_docs:>9,} {what:<20} {shown}", flush=True)


def evaluate(results: dict[str, Any], sizes: list[int]) -> dict[str, Any]:
    """The issue's goals, checked on the measured figures."""
    by_size = results["sizes"]
    first, last = str(min(sizes)), str(max(sizes))
    goals: dict[str, Any] = {
        "index_peak_rss_growth": by_size[last]["index"]["peak_rss_gib"] / by_size[first]["index"]["peak_rss_gib"],
    }
    goals["index_rss_flat_within_10_percent"] = goals["index_peak_rss_growth"] <= 1.10
    if "search" not in by_size[first]:  # --index-only
        return goals
    goals |= {
        "search_rss_over_index_size": max(
            record["search"]["peak_rss_gib"] / record["index"]["disk_gib"] for record in by_size.values()
        ),
        "qps_ratio_vs_faiss": min(
            (record["search"]["qps_ratio_vs_faiss"] for record in by_size.values() if "faiss_qps" in record["search"]),
            default=float("nan"),
        ),
    }
    goals["search_rss_at_most_1.3x"] = goals["search_rss_over_index_size"] <= 1.3
    goals["qps_at_least_0.8x_faiss"] = goals["qps_ratio_vs_faiss"] >= 0.8
    out_of_core = by_size[last].get("out_of_core")
    if out_of_core:
        goals["out_of_core_peak_rss_gib"] = out_of_core["peak_rss_gib"]
        goals["out_of_core_identical_top_k"] = out_of_core["identical_top_k"]
        goals["out_of_core_at_most_2_gib"] = out_of_core["peak_rss_gib"] <= 2.0
    for precision, (minimum, size) in {"float16": (0.999, 0.5), "bfloat16": (0.99, 0.5), "int8": (0.98, 0.25)}.items():
        for num_docs, record in by_size.items():
            if precision in record:
                recall = record[precision]["search"]["recall_vs_float32"]
                vectors, total = record[precision]["vectors_disk_vs_float32"], record[precision]["disk_vs_float32"]
                goals[f"{precision}_{num_docs}_recall"] = recall
                goals[f"{precision}_{num_docs}_vectors_disk_ratio"] = vectors
                goals[f"{precision}_{num_docs}_total_disk_ratio (with ids, lengths)"] = total
                goals[f"{precision}_{num_docs}_ok"] = recall >= minimum and vectors <= size * 1.001
    return goals


def main() -> None:
    """Runs the phases for every size (or one phase, in a child), prints the goals and writes the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 2_000_000, 4_000_000])
    parser.add_argument("--num-queries", type=int, default=1_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1 << 16, help="documents added per batch")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per searcher; the best is reported")
    parser.add_argument("--precisions", nargs="*", default=["float16", "bfloat16", "int8"])
    parser.add_argument("--precision-sizes", type=int, nargs="*", default=None, help="default: the smallest size")
    parser.add_argument("--ivf", action="store_true", help="also bench a faiss IVF index at the smallest size")
    parser.add_argument("--num-centroids", type=int, default=1024)
    parser.add_argument("--num-train", type=int, default=65_536, help="IVF training vectors (random sample)")
    parser.add_argument("--n-probe", type=int, default=64)
    parser.add_argument("--index-repeats", type=int, default=3, help="float32 index runs per size (median peak RSS)")
    parser.add_argument("--index-only", action="store_true", help="only the float32 index phase (indexing RSS)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where indexes are written (default: a temp dir)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    # child options
    parser.add_argument("--phase", choices=["index", "search", "ivf"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--num-docs", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--ids-out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--reference-ids", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out-of-core", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--faiss", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase is not None:
        phase = {"index": phase_index, "search": phase_search, "ivf": phase_ivf}[args.phase]
        print(json.dumps(phase(args)))
        return

    import torch

    results: dict[str, Any] = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} {platform.processor() or platform.platform()}",
        "cpus": __import__("os").cpu_count(),
        "dim": args.dim,
        "num_queries": args.num_queries,
        "k": args.k,
        "batch_size": args.batch_size,
        "data": "clustered synthetic unit vectors (1,000 centres in a 32-dim subspace + noise)",
        "out_of_core_method": "explicit block reads (readinto into two reused buffers), no memory map",
        "sizes": {},
    }
    print(f"CPU capability {results['cpu_capability']}, torch threads {results['torch_threads']}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.work_dir) as work:
        for num_docs in sorted(args.sizes):
            results["sizes"][str(num_docs)] = bench_size(args, Path(work), num_docs)
            partial = args.output.with_suffix(".partial.json")  # what is done so far, should a later size fail
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(results, indent=2) + "\n")
    results["goals"] = evaluate(results, args.sizes)
    for name, value in results["goals"].items():
        print(f"goal {name}: {value}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    args.output.with_suffix(".partial.json").unlink(missing_ok=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
