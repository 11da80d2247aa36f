"""Storage precisions of the dense index: recorded in the config, round trip, smaller on disk, scored in float32."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig, read_metadata

from .helpers import build_index, model_config

BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


def stored_vectors(index_dir: Path, in_memory: bool = True) -> torch.Tensor:
    search_config = TorchDenseSearchConfig(in_memory=in_memory)
    return search_config.searcher_class(index_dir, search_config, None).stored_vectors()  # type: ignore[attr-defined]


@pytest.mark.parametrize("precision", ["float32", "float16", "bfloat16", "int8"])
def test_every_precision_round_trips(tmp_path: Path, random_multi_vector, precision: str) -> None:
    if precision == "int8":
        pytest.importorskip("faiss")
    docs, mask = random_multi_vector(60, 3, 32, seed=5)
    index_dir = build_index(
        tmp_path / "index", TorchDenseIndexConfig(precision=precision), model_config("col"), docs, mask
    )  # type: ignore[arg-type]

    assert read_metadata(index_dir).index_config == {"class": "TorchDenseIndexConfig", "precision": precision}
    vectors = docs[mask]
    decoded = stored_vectors(index_dir)
    assert decoded.dtype == torch.float32
    assert torch.equal(decoded, stored_vectors(index_dir, in_memory=False))
    if precision == "int8":  # within one quantisation step of each dimension's range
        step = (vectors.amax(dim=0) - vectors.amin(dim=0)) / 255
        assert bool(((decoded - vectors).abs() <= step + 1e-6).all())
    else:
        expected = {"float32": vectors, "float16": vectors.half().float(), "bfloat16": vectors.bfloat16().float()}
        assert torch.equal(decoded, expected[precision])
    data_file = index_dir / ("codes.npy" if precision == "int8" else "embeddings.npy")
    assert data_file.stat().st_size - 128 == vectors.numel() * BYTES[precision]  # 128: the .npy header


@pytest.mark.parametrize(("precision", "min_recall"), [("float16", 0.999), ("bfloat16", 0.97), ("int8", 0.97)])
def test_lower_precisions_find_what_float32_finds(tmp_path: Path, precision: str, min_recall: float) -> None:
    if precision == "int8":
        pytest.importorskip("faiss")
    generator = torch.Generator().manual_seed(6)
    docs, queries = torch.randn(2000, 1, 64, generator=generator), torch.randn(50, 1, 64, generator=generator)
    ones, query_ones = torch.ones(2000, 1, dtype=torch.bool), torch.ones(50, 1, dtype=torch.bool)
    config = model_config(similarity_function="cosine")
    found = {}
    for name in ("float32", precision):
        index_dir = build_index(tmp_path / name, TorchDenseIndexConfig(precision=name), config, docs, ones, 500)  # type: ignore[arg-type]
        search_config = TorchDenseSearchConfig(k=10)
        found[name] = search_config.searcher_class(index_dir, search_config, config).search(queries, query_ones)
    hits = sum(len(set(a) & set(b)) for a, b in zip(found["float32"].doc_ids, found[precision].doc_ids, strict=True))
    assert hits / 500 >= min_recall
    assert found[precision].scores[0].dtype == torch.float32
