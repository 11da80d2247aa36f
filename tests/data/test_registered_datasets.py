"""The original Lightning IR's MS MARCO training sets: registered ids, download sources and file readers (offline)."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import itertools
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from lightning_ir.data import RunDataset, TupleDataset
from lightning_ir.data.ir_datasets_utils import dataset_ref, register_local

from .conftest import write

KD = "msmarco-passage/train/kd-docpairs"
COLBERT = "msmarco-passage/train/colbert-docpairs"
RANKZEPHYR = "msmarco-passage/train/rank-distillm/rankzephyr"
SET_ENCODER = "msmarco-passage/train/rank-distillm/set-encoder"
ZENODO = "https://zenodo.org/records/{}/files/{}?download=1"
RANKZEPHYR_FILE = "__rankzephyr-colbert-10000-sampled-100__msmarco-passage-train-judged.run"
SET_ENCODER_FILE = "__set-encoder-colbert__msmarco-passage-train-judged.run.gz"

# (id, url, md5, format, entity, gzipped, cache path), as lightning_ir/data/ir_datasets_utils.py of the original
# library (releases 0.0.1 and 0.0.2) registered them.
ORIGINAL = [
    (
        KD,
        "https://zenodo.org/record/4068216/files/bert_cat_ensemble_msmarcopassage_train_scores_ids.tsv?download=1",
        "4d99696386f96a7f1631076bcc53ac3c",
        "kd-tsv",
        "docpairs",
        False,
        "msmarco-passage/train/train/kd-docpairs.tsv",
    ),
    (
        COLBERT,
        "https://huggingface.co/colbert-ir/colbertv2.0_msmarco_64way/resolve/main/examples.json?download=true",
        "8be0c71e330ac54dcd77fba058d291c7",
        "colbert-json",
        "docpairs",
        False,
        "msmarco-passage/train/train/colbert-docpairs.json",
    ),
    (
        RANKZEPHYR,
        ZENODO.format(12528410, RANKZEPHYR_FILE),
        "49f8dbf2c1ee7a2ca1fe517eda528af6",
        "trec-run",
        "scoreddocs",
        False,
        "msmarco-passage/train/train/rank-distillm/rankzephyr.run",
    ),
    (
        SET_ENCODER,
        ZENODO.format(12528410, SET_ENCODER_FILE),
        "1f069d0daa9842a54a858cc660149e1a",
        "trec-run",
        "scoreddocs",
        True,
        "msmarco-passage/train/train/rank-distillm/set-encoder.run",
    ),
]

DOCS = "".join(f"{doc_id}\tpassage {doc_id}\n" for doc_id in range(101, 107))
QUERIES = "1\tfirst query\n2\tsecond query\n"
QRELS = "1 0 101 1\n2 0 104 1\n"


@pytest.fixture(scope="module")
def marco(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A tiny collection with MS MARCO-style numeric ids, as the base of the test datasets."""
    import ir_datasets

    folder = tmp_path_factory.mktemp("marco")
    dataset_id = register_local(
        f"lir-marco-{uuid.uuid4().hex[:8]}",
        docs=write(folder / "docs.tsv", DOCS),
        queries=write(folder / "queries.tsv", QUERIES),
        qrels=write(folder / "qrels.txt", QRELS),
    )
    return ir_datasets.load(dataset_id)


def local_dataset(dataset_id: str, download: Path, base: Any, home: Path) -> str:
    """Registers the dataset built for ``dataset_id`` from the local ``download`` (with its MD5 sum) under a new id."""
    import ir_datasets
    from ir_datasets.util import LocalDownload

    from lightning_ir.data.registered_datasets import TRAINING_DATASETS, build_training_dataset

    source = dataclasses.replace(TRAINING_DATASETS[dataset_id], expected_md5=md5(download))
    test_id = f"lir-distill-{uuid.uuid4().hex[:8]}"
    ir_datasets.registry.register(test_id, build_training_dataset(source, base, LocalDownload(download), home))
    return test_id


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("dataset_id", "url", "expected_md5", "file_format", "entity", "gzipped", "cache"), ORIGINAL)
def test_sources_are_those_of_the_original(
    dataset_id: str, url: str, expected_md5: str, file_format: str, entity: str, gzipped: bool, cache: str
) -> None:
    from lightning_ir.data.registered_datasets import TRAINING_DATASETS

    source = TRAINING_DATASETS[dataset_id]
    assert (source.url, source.expected_md5) == (url, expected_md5)
    assert (source.file_format, source.entity) == (file_format, entity)
    assert (source.gzipped, source.cache_path, source.base_id) == (gzipped, cache, "msmarco-passage/train")
    if entity == "scoreddocs":  # later releases moved the same files (same MD5 sums) to other Zenodo records
        name = RANKZEPHYR_FILE if dataset_id == RANKZEPHYR else SET_ENCODER_FILE
        assert source.fallback_urls == (ZENODO.format(15131907, name), ZENODO.format(15753974, name))
    assert sorted(TRAINING_DATASETS) == sorted(row[0] for row in ORIGINAL)


def test_registered_on_msmarco_train_without_download() -> None:
    import ir_datasets

    from lightning_ir.data.registered_datasets import register_training_datasets

    assert register_training_datasets() == [row[0] for row in ORIGINAL]
    assert register_training_datasets() == [row[0] for row in ORIGINAL]  # idempotent
    train = ir_datasets.load("msmarco-passage/train")
    home = Path(ir_datasets.util.home_path())
    for dataset_id, *_, entity, _gzipped, cache in ORIGINAL:
        dataset = ir_datasets.load(dataset_id)
        assert dataset.docs_handler() is ir_datasets.load("msmarco-passage").docs_handler()
        assert dataset.queries_handler() is train.queries_handler()
        assert dataset.qrels_handler() is train.qrels_handler()
        assert dataset.has(entity)
        assert not dataset.has("scoreddocs" if entity == "docpairs" else "docpairs")
        assert getattr(dataset, f"{entity}_path")(force=False) == str(home / cache)
        assert dataset_ref(dataset_id).dataset_id == dataset_id


def test_registered_lazily_and_in_fresh_processes(tmp_path: Path) -> None:
    script = f"""
import lightning_ir, lightning_ir.data, ir_datasets
assert {KD!r} not in ir_datasets.registry, "registered at import"
from lightning_ir.data.ir_datasets_utils import DatasetRef, dataset_ref
assert DatasetRef({RANKZEPHYR!r}).load().has_scoreddocs()  # e.g. a spawned DataLoader worker
assert {KD!r} not in ir_datasets.registry
assert dataset_ref({KD!r}).load().has_docpairs()
assert {COLBERT!r} not in ir_datasets.registry
"""
    env = {**os.environ, "IR_DATASETS_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_kd_docpairs_file_read_through_tuple_dataset(marco: Any, tmp_path: Path) -> None:
    download = write(tmp_path / "bert_cat_ensemble.tsv", "7.5\t-1.25\t1\t101\t102\n3\t2.5\t2\t104\t105\n")
    home = tmp_path / "home"
    test_id = local_dataset(KD, download, marco, home)
    samples = list(TupleDataset(test_id, targets="score"))
    assert [(s.query_id, s.doc_ids, s.targets.tolist()) for s in samples if s.targets is not None] == [
        ("1", ["101", "102"], [7.5, -1.25]),
        ("2", ["104", "105"], [3.0, 2.5]),
    ]
    assert samples[0].query == "first query"
    assert samples[0].docs == ["passage 101", "passage 102"]
    assert (home / "msmarco-passage/train/train/kd-docpairs.tsv").read_bytes() == download.read_bytes()


def test_colbert_examples_read_through_tuple_dataset(marco: Any, tmp_path: Path) -> None:
    lines = '[1, [101, 9.5], [102, 1.0], [103, -2.0]]\n["2", ["104", 4], [106, 0.5]]\n[1, 101, 103]\n'
    test_id = local_dataset(COLBERT, write(tmp_path / "examples.json", lines), marco, tmp_path / "home")
    samples = list(itertools.islice(TupleDataset(test_id, targets="score", num_docs=2), 2))
    assert [(s.query_id, s.doc_ids, s.targets.tolist()) for s in samples if s.targets is not None] == [
        ("1", ["101", "102"], [9.5, 1.0]),
        ("2", ["104", "106"], [4.0, 0.5]),
    ]
    with pytest.raises(ValueError, match="tuple 3 of .* has no scores"):
        list(TupleDataset(test_id, targets="score"))
    ordered = list(TupleDataset(test_id))
    assert ordered[2].doc_ids == ["101", "103"]
    assert ordered[2].targets is not None
    assert ordered[2].targets.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(("dataset_id", "gzipped"), [(RANKZEPHYR, False), (SET_ENCODER, True)])
def test_rank_distillm_run_read_through_run_dataset(marco: Any, tmp_path: Path, dataset_id: str, gzipped: bool) -> None:
    run = "1 Q0 103 1 0.9 rankzephyr\n1 Q0 101 2 0.8 rankzephyr\n1 Q0 102 3 0.1 rankzephyr\n2 Q0 104 1 -1 rankzephyr\n"
    download = tmp_path / "download.run.gz"
    if gzipped:
        download.write_bytes(gzip.compress(run.encode()))
    else:
        write(download, run)
    home = tmp_path / "home"
    dataset = RunDataset(local_dataset(dataset_id, download, marco, home), targets="score")
    assert [(s.query_id, s.doc_ids) for s in dataset] == [("1", ["103", "101", "102"]), ("2", ["104"])]
    assert dataset[0].targets is not None
    assert dataset[0].targets.tolist() == pytest.approx([0.9, 0.8, 0.1])
    assert dataset[0].qrels is not None
    assert dataset[0].qrels[0]["doc_id"] == "101"
    name = dataset_id.rsplit("/", 1)[1]
    assert (home / f"msmarco-passage/train/train/rank-distillm/{name}.run").read_text() == run


def test_wrong_checksum_leaves_no_file(tmp_path: Path) -> None:
    from ir_datasets.util import LocalDownload

    from lightning_ir.data.registered_datasets import TRAINING_DATASETS, RemoteFile

    download = tmp_path / "download.run.gz"
    download.write_bytes(gzip.compress(b"1 Q0 101 1 0.5 x\n"))
    remote = RemoteFile(TRAINING_DATASETS[SET_ENCODER], LocalDownload(download), tmp_path / "home")
    with pytest.raises(RuntimeError, match=rf"could not download '{SET_ENCODER}'.*{download.name}.*hash"):
        remote.path()
    target = remote.path(force=False)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_local_copy_in_downloads_folder_is_used(tmp_path: Path) -> None:
    from lightning_ir.data.registered_datasets import TRAINING_DATASETS, RemoteFile

    text = "7.5\t-1.25\t1\t101\t102\n"
    source = dataclasses.replace(TRAINING_DATASETS[KD], expected_md5=hashlib.md5(text.encode()).hexdigest())
    write(tmp_path / "downloads" / source.expected_md5, text)
    path = RemoteFile(source, home=tmp_path).path()
    assert path == tmp_path / source.cache_path
    assert path.read_text() == text


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        ("read_kd_docpairs", "1.0\t0.5\t1\t101\t102\n1.0\t1\t101\t102\n", "line 2 of .*: has 4 columns, expected 5"),
        ("read_kd_docpairs", "high\t0.5\t1\t101\t102\n", "line 1 of .*: pos_score 'high' is not a number"),
        ("read_colbert_docpairs", "[1, [101, 1.0], 102]\n", r"entry 2 is 102, expected \[doc_id, score\]"),
        ("read_colbert_docpairs", "[1, [101, NaN]]\n", "line 1 of .*: score 1 NaN is not a finite number"),
        ("read_colbert_docpairs", '{"qid": 1}\n', r"line 1 of .*: is \{\"qid\": 1\}, expected \[query_id"),
        ("read_colbert_docpairs", "[1.5, 101]\n", "line 1 of .*: query_id must be a string or an integer"),
    ],
)
def test_malformed_lines_are_refused(tmp_path: Path, reader: str, text: str, message: str) -> None:
    from lightning_ir.data import registered_datasets

    path = write(tmp_path / "tuples.txt", text)
    with pytest.raises(ValueError, match=message):
        list(getattr(registered_datasets, reader)(path))
