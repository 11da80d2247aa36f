"""Storage precisions on real embeddings: recall@10 of float16 / bfloat16 / int8 SciFact indexes against float32.

``bench/search_scale.py`` measures the precisions on 1M synthetic vectors; this bench measures them on the vectors
all-MiniLM-L6-v2 gives SciFact (5,183 documents), searched with the test and train queries (1,109), so the figures
hold for the embeddings users index:

1. the float32 index of the README's main job (``indexes/beir-scifact/all-MiniLM-L6-v2``; run the main job first, or
   pass ``--index`` with another float32 ``TorchDenseIndexConfig`` index of the same model) is read back;
2. its vectors are added, in batches, to a ``TorchDenseIndexer`` of each precision (int8: the faiss scalar quantizer
   is trained by the indexer, as in normal indexing);
3. the queries are encoded once by ``BiEncoderModule`` and every index is searched exactly (``TorchDenseSearcher``,
   top 10); recall@10 against the float32 index and the vectors' size on disk are printed and written to
   ``bench/results/precision_scifact.json``.

    python bench/precision_scifact.py
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from environment import prepare_environment

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PRECISIONS = ("float16", "bfloat16", "int8")
VECTOR_FILES = ("embeddings.npy", "codes.npy")


def encode_queries(model: str, splits: list[str]) -> tuple[Any, Any, Any]:
    """``(queries, 1, dim)`` query embeddings, their scoring mask, and the module (its config scores the index)."""
    import ir_datasets
    import torch

    from lightning_ir import BiEncoderModule

    module = BiEncoderModule(model).eval()
    texts = [query.text for split in splits for query in ir_datasets.load(f"beir/scifact/{split}").queries_iter()]
    embeddings, masks = [], []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            encoding = module.tokenize(queries=texts[start : start + 64])["query_encoding"]
            encoded = module.model.encode_query(encoding)
            embeddings.append(encoded.embeddings)
            masks.append(encoded.scoring_mask)
    return torch.cat(embeddings), torch.cat(masks), module


def copy_with_precision(source: Path, target: Path, precision: str, config: Any) -> None:
    """Adds the float32 vectors of ``source`` to a new index of ``precision`` at ``target``."""
    import torch

    from lightning_ir.retrieve import TorchDenseIndexConfig
    from lightning_ir.retrieve.base.npy_file import NpyReader

    vectors = NpyReader(source / "embeddings.npy").read_all()
    doc_ids = (source / "doc_ids.txt").read_text(encoding="utf-8").splitlines()
    if len(doc_ids) != vectors.shape[0]:
        raise SystemExit(f"{source} is not a single-vector index with one shard ({len(doc_ids)} ids)")
    index_config = TorchDenseIndexConfig(precision=precision)
    indexer = index_config.indexer_class(target, index_config, config)
    for start in range(0, len(doc_ids), 1024):
        block = torch.from_numpy(vectors[start : start + 1024])[:, None]
        indexer.add(doc_ids[start : start + 1024], block, torch.ones(block.shape[:2], dtype=torch.bool))
    indexer.save()


def search(index_dir: Path, queries: Any, mask: Any, config: Any, k: int) -> list[list[str]]:
    """Exact top ``k`` doc ids per query."""
    from lightning_ir.retrieve import TorchDenseSearchConfig

    search_config = TorchDenseSearchConfig(k=k)
    searcher = search_config.searcher_class(index_dir, search_config, config)
    return [list(row) for row in searcher.search(queries, mask).doc_ids]


def vector_bytes(index_dir: Path) -> int:
    """Bytes of the stored vectors (float vectors or int8 codes)."""
    return sum(path.stat().st_size for path in index_dir.rglob("*.npy") if path.name in VECTOR_FILES)


def main() -> None:
    """Builds each precision's index from the float32 one and compares their top 10."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=REPO_ROOT / "indexes" / "beir-scifact" / "all-MiniLM-L6-v2")
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--splits", nargs="+", default=["test", "train"])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "bench" / "results" / "precision_scifact.json")
    args = parser.parse_args()
    if not (args.index / "embeddings.npy").is_file():
        raise SystemExit(f"{args.index} holds no float32 dense index: run the README's main job first, or pass --index")
    prepare_environment()
    import torch

    queries, mask, module = encode_queries(args.model, args.splits)
    reference = search(args.index, queries, mask, module.config, args.k)
    results: dict[str, Any] = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "index": str(args.index),
        "num_queries": len(reference),
        "k": args.k,
        "precisions": {},
    }
    print(f"CPU capability {results['cpu_capability']}; {len(reference)} queries, recall@{args.k} vs float32")
    with tempfile.TemporaryDirectory() as work:
        for precision in PRECISIONS:
            target = Path(work) / precision
            copy_with_precision(args.index, target, precision, module.config)
            found = search(target, queries, mask, module.config, args.k)
            hits = sum(len(set(row) & set(want)) for row, want in zip(found, reference, strict=True))
            record = {
                "recall_vs_float32": hits / (len(reference) * args.k),
                "identical_top_k_queries": sum(row == want for row, want in zip(found, reference, strict=True)),
                "vectors_disk_vs_float32": vector_bytes(target) / vector_bytes(args.index),
            }
            results["precisions"][precision] = record
            print(f"{precision:<9} " + ", ".join(f"{key} {value:.4g}" for key, value in record.items()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
