"""Bad input raises clear errors; failed indexing leaves a previous index intact."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lightning_ir.retrieve import (
    FaissSearchConfig,
    IndexFormatError,
    SparseSearchConfig,
    TorchDenseIndexConfig,
    TorchDenseIndexer,
    TorchDenseSearchConfig,
    TorchDenseSearcher,
)

from .helpers import build_index, model_config


@pytest.fixture
def index_dir(tmp_path) -> Path:
    docs = torch.randn(10, 1, 4)
    return build_index(
        tmp_path / "index", TorchDenseIndexConfig(), model_config(), docs, torch.ones(10, 1, dtype=torch.bool)
    )


def siblings(path: Path) -> list[str]:
    return sorted(child.name for child in path.parent.iterdir())


def test_missing_index_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"index directory {tmp_path / 'nope'} does not exist"):
        TorchDenseSearcher(tmp_path / "nope", TorchDenseSearchConfig(), model_config())


def test_corrupt_config_json(index_dir):
    (index_dir / "config.json").write_text("{not json")
    with pytest.raises(IndexFormatError, match=rf"{index_dir / 'config.json'} is corrupt"):
        TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config())


def test_other_format_version(index_dir):
    data = json.loads((index_dir / "config.json").read_text())
    (index_dir / "config.json").write_text(json.dumps({**data, "format_version": 99}))
    with pytest.raises(IndexFormatError, match=r"unsupported index format version 99"):
        TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config())


def test_missing_and_truncated_data_files(index_dir):
    (index_dir / "embeddings.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(IndexFormatError, match=r"embeddings.npy is corrupt"):
        TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config())
    (index_dir / "doc_ids.txt").write_text("a\nb\n")
    with pytest.raises(IndexFormatError, match=r"doc_ids.txt holds 2 doc ids but .* says 10"):
        TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config())
    (index_dir / "doc_ids.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"doc_ids.txt is missing"):
        TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config())


def test_wrong_model_type(index_dir):
    with pytest.raises(
        ValueError, match=r"built for model type 'bi-encoder', but the query model has model type 'col'"
    ):
        TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config("col"))


def test_wrong_searcher_for_index(index_dir):
    with pytest.raises(ValueError, match=r"is a 'torch-dense' index; SparseSearcher reads \['sparse'\]"):
        SparseSearchConfig().searcher_class(index_dir, SparseSearchConfig(), model_config())


@pytest.mark.parametrize("config_class", [TorchDenseSearchConfig, SparseSearchConfig, FaissSearchConfig])
@pytest.mark.parametrize("k", [0, -3])
def test_non_positive_k(config_class, k):
    with pytest.raises(ValueError, match=rf"k must be a positive integer, got {k}"):
        config_class(k=k)


def test_k_cannot_be_changed_after_construction(index_dir):
    config = TorchDenseSearchConfig()
    TorchDenseSearcher(index_dir, config, model_config())
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'k'"):
        config.k = 0  # type: ignore[misc]


def test_query_dim_mismatch(index_dir):
    searcher = TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config())
    with pytest.raises(ValueError, match=r"query embedding dim 5 does not match dim 4"):
        searcher.search(torch.randn(1, 1, 5), torch.ones(1, 1, dtype=torch.bool))


def test_failing_add_leaves_previous_index_intact(index_dir):
    before = {path.name: path.read_bytes() for path in index_dir.iterdir()}
    indexer = TorchDenseIndexer(index_dir, TorchDenseIndexConfig(), model_config())
    indexer.add(["x", "y"], torch.randn(2, 1, 4), torch.ones(2, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"embedding dim changed from 4 to 8"):
        indexer.add(["z"], torch.randn(1, 1, 8), torch.ones(1, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"duplicate doc id 'x': added before"):
        indexer.add(["x"], torch.randn(1, 1, 4), torch.ones(1, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"duplicate doc ids 'y', 'u'"):
        indexer.add(["u", "y", "u"], torch.randn(3, 1, 4), torch.ones(3, 1, dtype=torch.bool))
    assert {path.name: path.read_bytes() for path in index_dir.iterdir()} == before
    staging = indexer.staging_dir  # the vectors stream into a temporary sibling until the index is saved
    assert staging is not None
    assert staging.parent == index_dir.parent
    assert staging.name.startswith(".index.tmp.")
    indexer.abort()
    assert not staging.exists()
    assert siblings(index_dir) == ["index"]
    with pytest.raises(RuntimeError, match="was aborted"):
        indexer.add(["v"], torch.randn(1, 1, 4), torch.ones(1, 1, dtype=torch.bool))


def test_an_indexer_dropped_without_saving_removes_its_temporary_folder(index_dir):
    indexer = TorchDenseIndexer(index_dir, TorchDenseIndexConfig(), model_config())
    indexer.add(["x"], torch.randn(1, 1, 4), torch.ones(1, 1, dtype=torch.bool))
    staging = indexer.staging_dir
    assert staging is not None
    assert staging.is_dir()
    del indexer
    assert not staging.exists()
    assert siblings(index_dir) == ["index"]


def test_failure_while_saving_leaves_previous_index_intact(index_dir, monkeypatch):
    before = {path.name: path.read_bytes() for path in index_dir.iterdir()}
    indexer = TorchDenseIndexer(index_dir, TorchDenseIndexConfig(), model_config())
    indexer.add(["x"], torch.randn(1, 1, 4), torch.ones(1, 1, dtype=torch.bool))
    written = []

    def fail_midway(staging: Path, shards):
        written.append(staging)  # the shard's files are complete ...
        assert (staging / "embeddings.npy").is_file()
        raise OSError("disk full")  # ... then the write fails

    monkeypatch.setattr(indexer, "_finalize", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        indexer.save()
    assert written
    assert not written[0].exists()
    assert {path.name: path.read_bytes() for path in index_dir.iterdir()} == before
    assert siblings(index_dir) == ["index"]
    searcher = TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config())
    assert searcher.num_docs == 10


def test_save_replaces_previous_index(index_dir):
    indexer = TorchDenseIndexer(index_dir, TorchDenseIndexConfig(), model_config())
    indexer.add(["only"], torch.randn(1, 1, 4), torch.ones(1, 1, dtype=torch.bool))
    indexer.save()
    assert TorchDenseSearcher(index_dir, TorchDenseSearchConfig(), model_config()).doc_ids == ["only"]
    assert siblings(index_dir) == ["index"]
    with pytest.raises(RuntimeError, match="saved its index; create a new indexer"):
        indexer.add(["more"], torch.randn(1, 1, 4), torch.ones(1, 1, dtype=torch.bool))


def test_save_without_documents(tmp_path):
    indexer = TorchDenseIndexer(tmp_path / "i", TorchDenseIndexConfig(), model_config())
    with pytest.raises(ValueError, match=r"no documents were added"):
        indexer.save()
    assert not (tmp_path / "i").exists()


def test_bad_shapes(tmp_path):
    indexer = TorchDenseIndexer(tmp_path / "i", TorchDenseIndexConfig(), model_config())
    with pytest.raises(ValueError, match=r"scoring_mask shape \(2, 3\) does not match embeddings shape \(2, 1, 4\)"):
        indexer.add(["a", "b"], torch.randn(2, 1, 4), torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"got 1 doc_ids for a batch of 2"):
        indexer.add(["a"], torch.randn(2, 1, 4), torch.ones(2, 1, dtype=torch.bool))


def test_retrieve_does_not_import_lightning():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, types; pkg = types.ModuleType('lightning_ir'); pkg.__path__ = [sys.argv[1]];"
        "sys.modules['lightning_ir'] = pkg; import lightning_ir.retrieve;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('lightning', 'pytorch_lightning')]; print(bad);"
        "sys.exit(1 if bad else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code, str(root / "lightning_ir")], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
