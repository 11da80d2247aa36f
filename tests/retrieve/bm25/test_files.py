"""The BM25 index directory: atomic writes, what it may replace, and errors that name the broken file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.retrieve import (
    BM25IndexConfig,
    BM25Indexer,
    BM25Searcher,
    IndexFormatError,
    TorchDenseSearchConfig,
    TorchDenseSearcher,
)
from lightning_ir.retrieve.bm25 import files


@pytest.fixture
def index_copy(tmp_path: Path, bm25_index: Path) -> Path:
    """A copy of the BM25 index that a test may break."""
    return Path(shutil.copytree(bm25_index, tmp_path / "index"))


def test_index_directory_layout(bm25_index):
    names = {path.name for path in bm25_index.iterdir()}
    assert names == {
        "config.json",
        "doc_ids.txt",
        files.PARAMS_FILE,
        files.VOCAB_FILE,
        files.DATA_FILE,
        files.INDICES_FILE,
        files.INDPTR_FILE,
    }
    config = json.loads((bm25_index / "config.json").read_text())
    assert config["index_type"] == "bm25"
    assert config["num_docs"] == 16
    assert config["index_config"]["stemmer"] == "english"
    assert "format_version" in config
    assert (bm25_index / "doc_ids.txt").read_text().splitlines()[:2] == ["d-apple", "d-ocean"]


def test_refuses_a_foreign_folder_before_reading_documents(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("keep me")
    with pytest.raises(OverwriteRefusedError, match="is not a Lightning IR index"):
        BM25Indexer(folder)
    assert (folder / "todo.txt").read_text() == "keep me"


def test_replaces_its_own_index_and_keeps_it_when_saving_fails(index_copy, collection, monkeypatch):
    indexer = BM25Indexer(index_copy, BM25IndexConfig(stemmer="english"))
    indexer.add(["only"], ["a single coffee document"])

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("bm25s.BM25.save", fail)
    with pytest.raises(OSError, match="disk full"):
        indexer.save()
    assert BM25Searcher(index_copy).num_docs == 16
    assert not [path for path in index_copy.parent.iterdir() if path.name.startswith(".index.")]
    monkeypatch.undo()
    indexer.save()
    assert BM25Searcher(index_copy).doc_ids == ["only"]


def test_other_format_version_is_refused(index_copy):
    config = json.loads((index_copy / "config.json").read_text())
    config["format_version"] = 99
    (index_copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(IndexFormatError, match="unsupported index format version 99"):
        BM25Searcher(index_copy)


@pytest.mark.parametrize(
    "name", [files.PARAMS_FILE, files.VOCAB_FILE, files.DATA_FILE, files.INDICES_FILE, files.INDPTR_FILE, "doc_ids.txt"]
)
def test_missing_file_is_named(index_copy, name):
    (index_copy / name).unlink()
    with pytest.raises(FileNotFoundError, match=f"{name} is missing"):
        BM25Searcher(index_copy)


@pytest.mark.parametrize("name", [files.PARAMS_FILE, files.VOCAB_FILE])
def test_corrupt_json_is_named(index_copy, name):
    (index_copy / name).write_text("{not json")
    with pytest.raises(IndexFormatError, match=f"{name} is corrupt"):
        BM25Searcher(index_copy)


def test_truncated_array_is_named(index_copy):
    path = index_copy / files.DATA_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexFormatError, match=files.DATA_FILE):
        BM25Searcher(index_copy)


def test_inconsistent_files_are_named(index_copy):
    np.save(index_copy / files.INDICES_FILE, np.load(index_copy / files.INDICES_FILE) + 100)
    with pytest.raises(IndexFormatError, match=f"{files.INDICES_FILE} names documents outside"):
        BM25Searcher(index_copy)


def test_params_of_another_collection_are_refused(index_copy):
    params = json.loads((index_copy / files.PARAMS_FILE).read_text())
    params["num_docs"] = 3
    (index_copy / files.PARAMS_FILE).write_text(json.dumps(params))
    with pytest.raises(IndexFormatError, match="does not describe the 16 documents"):
        BM25Searcher(index_copy)


def test_non_finite_scores_are_refused(index_copy):
    data = np.load(index_copy / files.DATA_FILE)
    data[3] = np.nan
    np.save(index_copy / files.DATA_FILE, data)
    with pytest.raises(IndexFormatError, match="non-finite"):
        BM25Searcher(index_copy)


def test_dense_searcher_refuses_a_bm25_index_and_back(bm25_index, tmp_path):
    with pytest.raises(ValueError, match="is a 'bm25' index; TorchDenseSearcher reads"):
        TorchDenseSearcher(bm25_index, TorchDenseSearchConfig(), None)
    config = json.loads((bm25_index / "config.json").read_text())
    config["index_type"] = "torch-dense"
    fake = Path(shutil.copytree(bm25_index, tmp_path / "fake"))
    (fake / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="is a 'torch-dense' index, not a BM25 index"):
        BM25Searcher(fake)
