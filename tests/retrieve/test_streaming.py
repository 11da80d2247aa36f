"""Streamed indexing: vectors go to disk as they are added, and the files equal those of in-memory indexing."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from lightning_ir.retrieve import (
    FaissFlatIndexConfig,
    FaissIVFIndexConfig,
    IndexConfig,
    SparseIndexConfig,
    TorchDenseIndexConfig,
)
from lightning_ir.retrieve.base import doc_id_set
from lightning_ir.retrieve.base.doc_id_list import DocIdList
from lightning_ir.retrieve.base.doc_id_set import DocIdSet, hash_doc_ids
from lightning_ir.retrieve.base.npy_file import NpyReader, NpyWriter

from .helpers import build_index, model_config

FAISS_CONFIGS = [FaissFlatIndexConfig(), FaissIVFIndexConfig(num_centroids=4)]


def index_files(index_dir: Path) -> dict[str, bytes]:
    return {str(path.relative_to(index_dir)): path.read_bytes() for path in sorted(index_dir.rglob("*.*"))}


def test_npy_writer_streams_rows_and_writes_numpys_own_header(tmp_path: Path) -> None:
    rows = np.random.default_rng(0).standard_normal((1000, 7)).astype(np.float32)
    writer = NpyWriter(tmp_path / "a.npy", np.float32, (7,))
    for start in range(0, 1000, 64):
        writer.append(rows[start : start + 64])
        assert (tmp_path / "a.npy").stat().st_size == writer.data_offset + writer.num_rows * 7 * 4  # on disk already
    writer.close()
    np.save(tmp_path / "b.npy", rows)
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    reader = NpyReader(tmp_path / "a.npy")
    assert reader.shape == (1000, 7)
    np.testing.assert_array_equal(reader.read(10, 20), rows[10:20])
    np.testing.assert_array_equal(reader.read_rows(np.array([5, 3, 4, 999, 3])), rows[[5, 3, 4, 999, 3]])
    np.testing.assert_array_equal(reader.read_all(block_rows=100), rows)


def test_doc_id_set_finds_repeats_in_8_bytes_per_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doc_id_set, "RUN_SIZE", 16_384)
    ids = [f"doc-{i}" for i in range(70_000)]
    seen = DocIdSet(lambda: iter(ids))
    seen.add(hash_doc_ids(ids[:1000]))
    seen.add(hash_doc_ids(ids[1000:]))  # fills four runs and part of a fifth
    assert len(seen) == 70_000
    assert [run.size for run in seen._runs] == [16_384] * 4
    assert seen.contains(ids[::997]).all()
    assert seen.contains(["doc-5", "new", "doc-69999"]).tolist() == [True, False, True]
    assert seen.duplicates(["a", "doc-7", "a", "b"]) == ["doc-7", "a"]


def test_doc_id_set_on_disk_merges_runs_and_keeps_memory_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doc_id_set, "RUN_SIZE", 1024)
    monkeypatch.setattr(doc_id_set, "BLOCK", 16)
    monkeypatch.setattr(doc_id_set, "LOOKUP_CHUNK", 64)
    ids = [f"doc-{i}" for i in range(7 * 1024 + 100)]
    seen = DocIdSet(lambda: iter(ids), spill_root=tmp_path / "hashes")
    for start in range(0, len(ids), 700):
        batch = ids[start : start + 700]
        assert not seen.contains(batch).any()
        seen.add(hash_doc_ids(batch))
    assert len(seen) == len(ids)
    # seven full runs merged like a binary counter: files of 4, 2 and 1 runs; only fences and the newest run in memory
    assert [(run.level, run.size) for run in seen._files] == [(2, 4096), (1, 2048), (0, 1024)]
    assert all(run.fences.size == run.size // 16 for run in seen._files)
    assert not seen._runs
    files = sorted(path.name for path in (tmp_path / "hashes").rglob("*.bin"))
    assert len(files) == 3
    rng = np.random.default_rng(0)
    probe = [ids[i] for i in rng.choice(len(ids), 300, replace=False)] + [f"new-{i}" for i in range(300)]
    assert seen.contains(probe).tolist() == [True] * 300 + [False] * 300
    assert seen.duplicates(["new", ids[0], ids[-1], "new"]) == [ids[0], ids[-1], "new"]
    seen.close()
    assert list((tmp_path / "hashes").iterdir()) == []


@pytest.mark.parametrize("precision", ["float32", "float16", "bfloat16", "int8"])
@pytest.mark.parametrize("similarity", ["dot", "cosine"])
def test_streamed_dense_index_equals_in_memory_indexing_bit_for_bit(
    tmp_path: Path, random_multi_vector, precision: str, similarity: str
) -> None:
    docs, mask = random_multi_vector(50, 5, 8, seed=1)
    config, index_config = model_config("col", similarity), TorchDenseIndexConfig(precision=precision)  # type: ignore[arg-type]
    streamed = build_index(tmp_path / "streamed", index_config, config, docs, mask, batch_size=3)
    at_once = build_index(tmp_path / "at-once", index_config, config, docs, mask, batch_size=50)
    assert index_files(streamed) == index_files(at_once)

    vectors = docs[mask]  # what in-memory indexing stores: the masked vectors, in order, in the storage precision
    if similarity == "cosine":
        vectors = torch.nn.functional.normalize(vectors, dim=-1)
    expected = {
        "float32": vectors.numpy(),
        "float16": vectors.numpy().astype(np.float16),
        "bfloat16": vectors.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16),
    }
    if precision == "int8":
        quantizer = pytest.importorskip("faiss").read_index(str(streamed / "scalar_quantizer.faiss"))
        np.testing.assert_array_equal(np.load(streamed / "codes.npy"), quantizer.sa_encode(vectors.numpy()))
        assert not (streamed / "embeddings.npy").exists()
    else:
        stored = np.load(streamed / "embeddings.npy")
        assert stored.dtype == expected[precision].dtype
        np.testing.assert_array_equal(stored, expected[precision])
    np.testing.assert_array_equal(np.load(streamed / "doc_lengths.npy"), mask.sum(dim=1).numpy())


def test_a_reader_keeps_reading_its_file_when_a_rebuilt_one_replaces_it(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    with NpyReader(tmp_path / "a.npy") as reader:
        np.save(tmp_path / "new.npy", np.zeros((2, 3), dtype=np.float32))
        (tmp_path / "new.npy").replace(tmp_path / "a.npy")  # as an index rebuilt and renamed into place
        np.testing.assert_array_equal(reader.read(1, 3), [[3, 4, 5], [6, 7, 8]])
        np.testing.assert_array_equal(reader.read_rows(np.array([3])), [[9, 10, 11]])


def test_masked_out_non_finite_sparse_vectors_never_reach_the_index(tmp_path: Path) -> None:
    docs = torch.rand(4, 1, 10)
    docs[2, 0, 3] = float("nan")
    mask = torch.tensor([[True], [True], [False], [True]])
    index_dir = build_index(tmp_path / "index", SparseIndexConfig(), model_config("splade"), docs, mask)
    assert np.isfinite(np.load(index_dir / "values.npy")).all()


def test_streamed_sparse_index_equals_in_memory_indexing_bit_for_bit(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    docs = torch.rand(40, 1, 30, generator=generator) * (torch.rand(40, 1, 30, generator=generator) < 0.2)
    mask = torch.ones(40, 1, dtype=torch.bool)
    mask[3] = False
    config = model_config("splade")
    streamed = build_index(tmp_path / "streamed", SparseIndexConfig(), config, docs, mask, batch_size=3)
    at_once = build_index(tmp_path / "at-once", SparseIndexConfig(), config, docs, mask, batch_size=40)
    assert index_files(streamed) == index_files(at_once)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        dense = (docs[:, 0] * mask).to_sparse_csr()
    np.testing.assert_array_equal(np.load(streamed / "crow_indices.npy"), dense.crow_indices().numpy())
    np.testing.assert_array_equal(np.load(streamed / "col_indices.npy"), dense.col_indices().numpy())
    np.testing.assert_array_equal(np.load(streamed / "values.npy"), dense.values().numpy())


@pytest.mark.parametrize("index_config", FAISS_CONFIGS, ids=lambda config: type(config).__name__)
def test_streamed_faiss_index_equals_in_memory_indexing_bit_for_bit(tmp_path: Path, index_config: IndexConfig) -> None:
    faiss = pytest.importorskip("faiss")
    docs, mask = torch.randn(300, 1, 16, generator=torch.Generator().manual_seed(2)), torch.ones(300, 1).bool()
    config = model_config()
    streamed = build_index(tmp_path / "streamed", index_config, config, docs, mask, batch_size=7)
    at_once = build_index(tmp_path / "at-once", index_config, config, docs, mask, batch_size=300)
    assert index_files(streamed) == index_files(at_once)
    index = faiss.read_index(str(streamed / "index.faiss"))
    reference = faiss.read_index(str(streamed / "trained_index.faiss"))
    reference.add(docs[:, 0].numpy())  # the in-memory way: all vectors into the trained index at once
    assert faiss.serialize_index(index).tobytes() == faiss.serialize_index(reference).tobytes()


def test_vectors_are_on_disk_in_the_temporary_folder_while_indexing(tmp_path: Path) -> None:
    index_config = TorchDenseIndexConfig()
    indexer = index_config.indexer_class(tmp_path / "index", index_config, model_config())
    sizes = []
    for batch in range(4):
        ids = [f"d{batch}-{i}" for i in range(100)]
        indexer.add(ids, torch.randn(100, 1, 32), torch.ones(100, 1, dtype=torch.bool))
        assert indexer.staging_dir is not None
        sizes.append((indexer.staging_dir / "embeddings.npy").stat().st_size)
    assert np.diff(sizes).tolist() == [100 * 32 * 4] * 3  # every batch went to disk when it was added
    assert not (tmp_path / "index").exists()
    indexer.save()
    assert indexer.staging_dir is None
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index"]
    assert np.load(tmp_path / "index" / "embeddings.npy").shape == (400, 32)


def test_doc_id_list_reads_the_shards_ids_compactly(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "doc_ids.txt").write_text("x\n\nübung\n", encoding="utf-8")
    (tmp_path / "b" / "doc_ids.txt").write_text("y 1\nz", encoding="utf-8")  # no final newline
    ids = DocIdList.read([(tmp_path / "a", 3), (tmp_path / "b", 2)])
    assert len(ids) == 5
    assert ids == ["x", "", "übung", "y 1", "z"]
    assert ids[-1] == "z"
    assert ids[1:4] == ["", "übung", "y 1"]
    assert list(ids) == ["x", "", "übung", "y 1", "z"]
    with pytest.raises(IndexError):
        ids[5]  # noqa: B018
