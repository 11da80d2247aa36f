"""Incremental adds and sharded indexes: add-then-search equals build-once; atomic adds, unique ids, format 1."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lightning_ir.retrieve import (
    FaissFlatIndexConfig,
    FaissIVFIndexConfig,
    FaissIVFPQIndexConfig,
    FaissSearchConfig,
    IndexConfig,
    SearchConfig,
    SparseIndexConfig,
    SparseSearchConfig,
    TorchDenseIndexConfig,
    TorchDenseSearchConfig,
    read_metadata,
)
from lightning_ir.retrieve.base import dense_shard, doc_id_set
from lightning_ir.retrieve.base.indexer import HASHES_FOLDER
from lightning_ir.retrieve.base.model_identity import ModelIdentity, ModelMismatchError
from lightning_ir.retrieve.base.parts import PartWriter, add_parts

from .helpers import model_config

NUM_DOCS = 120
IDS = [f"d{i}" for i in range(NUM_DOCS)]


def collection(kind: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, SimpleNamespace]:
    """Documents, their mask, queries, their mask and the model config for an index kind."""
    generator = torch.Generator().manual_seed(3)
    if kind == "sparse":
        docs = torch.rand(NUM_DOCS, 1, 40, generator=generator) * (
            torch.rand(NUM_DOCS, 1, 40, generator=generator) < 0.3
        )
        queries = torch.rand(6, 1, 40, generator=generator)
        return docs, torch.ones(NUM_DOCS, 1).bool(), queries, torch.ones(6, 1).bool(), model_config("splade")
    if kind == "multi":
        docs, queries = torch.randn(NUM_DOCS, 4, 8, generator=generator), torch.randn(6, 3, 8, generator=generator)
        doc_mask = torch.rand(NUM_DOCS, 4, generator=generator) > 0.3
        doc_mask[:, 0] = True
        return docs, doc_mask, queries, torch.ones(6, 3).bool(), model_config("col", "cosine")
    docs, queries = torch.randn(NUM_DOCS, 1, 16, generator=generator), torch.randn(6, 1, 16, generator=generator)
    return docs, torch.ones(NUM_DOCS, 1).bool(), queries, torch.ones(6, 1).bool(), model_config("bi-encoder", "cosine")


CASES = [
    ("single", TorchDenseIndexConfig(), TorchDenseSearchConfig(k=7)),
    ("single", TorchDenseIndexConfig(precision="float16"), TorchDenseSearchConfig(k=7, in_memory=False)),
    ("single", TorchDenseIndexConfig(precision="bfloat16"), TorchDenseSearchConfig(k=7)),
    ("multi", TorchDenseIndexConfig(), TorchDenseSearchConfig(k=7)),
    ("multi", TorchDenseIndexConfig(), TorchDenseSearchConfig(k=7, in_memory=False)),
    ("sparse", SparseIndexConfig(), SparseSearchConfig(k=7)),
    ("sparse", SparseIndexConfig(), SparseSearchConfig(k=7, in_memory=False)),
    ("single", FaissFlatIndexConfig(), FaissSearchConfig(k=7)),
    ("single", FaissIVFIndexConfig(num_centroids=2), FaissSearchConfig(k=7, n_probe=2)),  # every list: exact
    ("multi", FaissFlatIndexConfig(), FaissSearchConfig(k=7, candidate_k=20)),
    ("multi", FaissFlatIndexConfig(), FaissSearchConfig(k=7, candidate_k=20, imputation_strategy="gather")),
]


def add(index_dir: Path, index_config: IndexConfig, config, docs, mask, start: int, stop: int, **kwargs) -> Path:
    indexer = index_config.indexer_class(index_dir, index_config, config, mode="add", **kwargs)
    for batch in range(start, stop, 16):
        end = min(batch + 16, stop)
        indexer.add(IDS[batch:end], docs[batch:end], mask[batch:end])
    return indexer.save()


def search(index_dir: Path, search_config: SearchConfig, config, queries, query_mask):
    return search_config.searcher_class(index_dir, search_config, config).search(queries, query_mask)


@pytest.mark.filterwarnings("ignore:FaissIVFIndexer. num_centroids=2 is too many")  # the first shard trains on 50
@pytest.mark.parametrize(("kind", "index_config", "search_config"), CASES, ids=lambda value: repr(value)[:60])
def test_add_then_search_equals_building_once(
    tmp_path: Path, kind: str, index_config: IndexConfig, search_config: SearchConfig
) -> None:
    if "Faiss" in type(index_config).__name__:
        pytest.importorskip("faiss")
    docs, mask, queries, query_mask, config = collection(kind)
    once = add(tmp_path / "once", index_config, config, docs, mask, 0, NUM_DOCS)
    sharded = tmp_path / "sharded"
    add(sharded, index_config, config, docs, mask, 0, 50)  # no index yet: built
    add(sharded, index_config, config, docs, mask, 50, 90)
    indexer = index_config.indexer_class(sharded, index_config, config, mode="add")
    indexer.add(IDS[90:100], docs[90:100], mask[90:100])
    rank_one = PartWriter(tmp_path / "parts", 1, index_config, config)  # like a second DDP process
    rank_one.add(IDS[95:NUM_DOCS], docs[95:NUM_DOCS], mask[95:NUM_DOCS])  # 95..99: a sampler's repeats, dropped
    rank_one.close()
    add_parts(indexer, tmp_path / "parts", world_size=2)
    indexer.save()

    metadata = read_metadata(sharded)
    assert [shard.path for shard in metadata.shards] == [".", "shards/00001", "shards/00002", "shards/00003"]
    assert [shard.num_docs for shard in metadata.shards] == [50, 40, 10, 20]
    assert metadata.num_docs == NUM_DOCS
    expected, result = (
        search(once, search_config, config, queries, query_mask),
        search(sharded, search_config, config, queries, query_mask),
    )
    assert result.doc_ids == expected.doc_ids
    for got, want in zip(result.scores, expected.scores, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_an_index_built_from_parts_alone_takes_the_first_part_as_its_root(tmp_path: Path) -> None:
    docs, mask, queries, query_mask, config = collection("single")
    for rank, (start, stop) in enumerate(((0, 70), (70, NUM_DOCS)), start=1):
        part = PartWriter(tmp_path / "parts", rank, TorchDenseIndexConfig(), config)
        part.add(IDS[start:stop], docs[start:stop], mask[start:stop])
        part.close()
    index_dir = tmp_path / "from-parts"
    indexer = TorchDenseIndexConfig().indexer_class(index_dir, TorchDenseIndexConfig(), config)
    assert indexer.add_shard(tmp_path / "parts" / "rank00001") == 70  # no add() before: the root shard
    assert indexer.add_shard(tmp_path / "parts" / "rank00002") == 50
    indexer.save()
    assert [shard.path for shard in read_metadata(index_dir).shards] == [".", "shards/00001"]
    once = add(tmp_path / "once", TorchDenseIndexConfig(), config, docs, mask, 0, NUM_DOCS)
    expected = search(once, TorchDenseSearchConfig(k=7), config, queries, query_mask)
    result = search(index_dir, TorchDenseSearchConfig(k=7), config, queries, query_mask)
    assert result.doc_ids == expected.doc_ids


def test_copying_a_part_reads_a_bounded_number_of_vectors_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dense_shard, "COPY_VECTORS", 5)  # a few multi-vector documents per read
    test_add_then_search_equals_building_once(tmp_path, "multi", TorchDenseIndexConfig(), TorchDenseSearchConfig(k=7))


def test_an_int8_index_quantises_added_shards_with_its_own_quantizer(tmp_path: Path) -> None:
    faiss = pytest.importorskip("faiss")
    docs, mask, _, _, config = collection("single")
    index_config = TorchDenseIndexConfig(precision="int8")
    add(tmp_path / "index", index_config, config, docs, mask, 0, 60)
    quantizer = (tmp_path / "index" / "scalar_quantizer.faiss").read_bytes()
    add(tmp_path / "index", index_config, config, docs, mask, 60, NUM_DOCS)
    assert (tmp_path / "index" / "scalar_quantizer.faiss").read_bytes() == quantizer
    trained = faiss.read_index(str(tmp_path / "index" / "scalar_quantizer.faiss"))
    added = torch.nn.functional.normalize(docs[60:, 0], dim=-1).numpy()
    np.testing.assert_array_equal(
        np.load(tmp_path / "index" / "shards" / "00001" / "codes.npy"), trained.sa_encode(added)
    )


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    docs, mask, _, _, config = collection("single")
    return add(tmp_path / "index", TorchDenseIndexConfig(), config, docs, mask, 0, 40)


def snapshot(index_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(index_dir)): path.read_bytes() for path in sorted(index_dir.rglob("*")) if path.is_file()
    }


def test_ids_already_in_the_index_are_refused_naming_them(index_dir: Path) -> None:
    docs, mask, _, _, config = collection("single")
    before = snapshot(index_dir)
    indexer = TorchDenseIndexConfig().indexer_class(index_dir, TorchDenseIndexConfig(), config, mode="add")
    with pytest.raises(ValueError, match=rf"duplicate doc ids 'd3', 'd39': already in the index at {index_dir}"):
        indexer.add(["new", "d3", "d39"], docs[:3], mask[:3])
    indexer.add(["new"], docs[:1], mask[:1])
    shard = PartWriter(index_dir.parent / "parts", 1, TorchDenseIndexConfig(), config)
    shard.add(["other", "d5"], docs[:2], mask[:2])
    shard.close()
    with pytest.raises(ValueError, match=r"duplicate doc id 'd5': the shard at .*rank00001 repeats them"):
        indexer.add_shard(index_dir.parent / "parts" / "rank00001")
    indexer.abort()
    assert snapshot(index_dir) == before
    assert sorted(path.name for path in index_dir.parent.iterdir()) == ["index", "parts"]


def test_doc_id_hashes_spill_to_the_temporary_folder_and_are_never_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doc_id_set, "RUN_SIZE", 8)
    monkeypatch.setattr(doc_id_set, "BLOCK", 4)
    docs, mask, _, _, config = collection("single")
    index_dir = add(tmp_path / "index", TorchDenseIndexConfig(), config, docs, mask, 0, 40)
    indexer = TorchDenseIndexConfig().indexer_class(index_dir, TorchDenseIndexConfig(), config, mode="add")
    assert indexer.staging_dir is not None
    assert len(list((indexer.staging_dir / HASHES_FOLDER).rglob("*.bin"))) == 2
    with pytest.raises(ValueError, match=r"duplicate doc id 'd7': already in the index"):
        indexer.add(["new", "d7"], docs[:2], mask[:2])
    shard = PartWriter(tmp_path / "parts", 1, TorchDenseIndexConfig(), config)
    for start in range(40, 60, 4):
        shard.add(IDS[start : start + 4], docs[start : start + 4], mask[start : start + 4])
    with pytest.raises(ValueError, match=r"duplicate doc id 'd41': added before by this process"):
        shard.add(["d41"], docs[:1], mask[:1])
    shard.close()
    assert sorted(path.name for path in (tmp_path / "parts").iterdir()) == ["rank00001"]  # its hashes removed
    assert indexer.add_shard(tmp_path / "parts" / "rank00001") == 20
    indexer.save()
    assert not [path for path in index_dir.rglob("*") if HASHES_FOLDER in str(path) or path.suffix == ".bin"]
    assert TorchDenseSearchConfig().searcher_class(index_dir, TorchDenseSearchConfig(), config).num_docs == 60


def test_a_failing_add_leaves_the_index_as_it_was(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs, mask, _, _, config = collection("single")
    before = snapshot(index_dir)
    indexer = TorchDenseIndexConfig().indexer_class(index_dir, TorchDenseIndexConfig(), config, mode="add")
    indexer.add(IDS[40:60], docs[40:60], mask[40:60])

    def fail(staging: Path, shards: list) -> None:
        assert (staging / "shards" / "00001" / "embeddings.npy").is_file()
        assert (staging / "embeddings.npy").samefile(index_dir / "embeddings.npy")  # the old shard: hard links
        raise OSError("disk full")

    monkeypatch.setattr(indexer, "_finalize", fail)
    with pytest.raises(OSError, match="disk full"):
        indexer.save()
    assert snapshot(index_dir) == before
    assert [path.name for path in index_dir.parent.iterdir()] == ["index"]
    assert TorchDenseSearchConfig().searcher_class(index_dir, TorchDenseSearchConfig(), config).num_docs == 40


def test_an_add_refuses_an_index_that_changed_meanwhile(index_dir: Path) -> None:
    docs, mask, _, _, config = collection("single")
    first = TorchDenseIndexConfig().indexer_class(index_dir, TorchDenseIndexConfig(), config, mode="add")
    first.add(IDS[40:50], docs[40:50], mask[40:50])
    path = index_dir / "config.json"  # another process finishes an add first (it rewrites config.json)
    path.write_text(json.dumps(json.loads(path.read_text())))
    before = snapshot(index_dir)
    with pytest.raises(RuntimeError, match="changed while documents were added to it"):
        first.save()
    assert snapshot(index_dir) == before


def test_an_add_must_match_the_index(index_dir: Path) -> None:
    _, _, _, _, config = collection("single")
    with pytest.raises(ValueError, match=r"cannot add 'sparse' documents to the index at .*: it is a 'torch-dense'"):
        SparseIndexConfig().indexer_class(index_dir, SparseIndexConfig(), config, mode="add")
    with pytest.raises(ValueError, match=r"built with the index config .*'precision': 'float32'.* not .*'float16'"):
        TorchDenseIndexConfig(precision="float16").indexer_class(
            index_dir, TorchDenseIndexConfig(precision="float16"), config, mode="add"
        )
    with pytest.raises(ValueError, match=r"built with the scoring settings .*'cosine'.* the new documents have"):
        TorchDenseIndexConfig().indexer_class(index_dir, TorchDenseIndexConfig(), model_config(), mode="add")
    with pytest.raises(ValueError, match=r"mode must be one of the allowed values"):
        TorchDenseIndexConfig().indexer_class(index_dir, TorchDenseIndexConfig(), config, mode="append")  # type: ignore[arg-type]


def test_an_add_must_come_from_the_same_model(tmp_path: Path) -> None:
    docs, mask, _, _, config = collection("single")
    built_with, other = ModelIdentity("models/a", "1" * 64), ModelIdentity("models/b", "2" * 64)
    index_dir = add(tmp_path / "index", TorchDenseIndexConfig(), config, docs, mask, 0, 10, model_identity=built_with)
    with pytest.raises(ModelMismatchError, match=r"cannot add to the index .* built with the model models/a"):
        TorchDenseIndexConfig().indexer_class(
            index_dir, TorchDenseIndexConfig(), config, mode="add", model_identity=other
        )
    add(index_dir, TorchDenseIndexConfig(), config, docs, mask, 10, 20, model_identity=built_with)
    assert read_metadata(index_dir).model_identity == built_with


def test_a_format_1_index_is_read_and_can_be_added_to(index_dir: Path) -> None:
    docs, mask, queries, query_mask, config = collection("single")
    path = index_dir / "config.json"
    data = json.loads(path.read_text())
    del data["shards"]
    data.update(format_version=1, index_config={"class": "TorchDenseIndexConfig"})  # as format 1 wrote it
    path.write_text(json.dumps(data))
    before = search(index_dir, TorchDenseSearchConfig(k=5), config, queries, query_mask)
    assert read_metadata(index_dir).shards[0].num_docs == 40
    add(index_dir, TorchDenseIndexConfig(), config, docs, mask, 40, NUM_DOCS)
    metadata = read_metadata(index_dir)
    assert metadata.format_version == 2
    assert [shard.num_docs for shard in metadata.shards] == [40, 80]
    after = search(index_dir, TorchDenseSearchConfig(k=5), config, queries, query_mask)
    once = add(index_dir.parent / "once", TorchDenseIndexConfig(), config, docs, mask, 0, NUM_DOCS)
    assert after.doc_ids == search(once, TorchDenseSearchConfig(k=5), config, queries, query_mask).doc_ids
    assert before.doc_ids != after.doc_ids


def test_a_format_1_faiss_index_can_be_added_to(tmp_path: Path) -> None:
    pytest.importorskip("faiss")
    docs, mask, queries, query_mask, config = collection("single")
    index_config = FaissIVFPQIndexConfig(num_centroids=2, num_subquantizers=4, n_bits=4)
    index_dir = add(tmp_path / "index", index_config, config, docs, mask, 0, 100)
    (index_dir / "trained_index.faiss").unlink()  # format 1 stored no trained index
    add(index_dir, index_config, config, docs, mask, 100, NUM_DOCS)
    result = search(index_dir, FaissSearchConfig(k=5, n_probe=2), config, docs[100:106, :, :], query_mask)
    assert [ids[0] for ids in result.doc_ids] == IDS[100:106]  # re-scored exactly with the stored vectors


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        ([{"path": "../elsewhere", "num_docs": 40, "num_embeddings": 40}], r"invalid shard path '../elsewhere'"),
        ([{"path": ".", "num_docs": 30, "num_embeddings": 30}], r"the shards hold 30 documents and 30 vectors"),
    ],
)
def test_shard_lists_that_do_not_fit_are_refused(index_dir: Path, shards: list, message: str) -> None:
    from lightning_ir.retrieve import IndexFormatError

    path = index_dir / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "shards": shards}))
    with pytest.raises(IndexFormatError, match=message):
        read_metadata(index_dir)
