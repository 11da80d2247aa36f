"""Fixtures for the inference tests: the small local collection, a tiny bi-encoder and its exact index."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir import BiEncoderModule
from lightning_ir.callbacks import IndexCallback
from lightning_ir.data import DocDataset, LightningIRDataModule
from lightning_ir.retrieve import TorchDenseIndexConfig
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection

METRICS = ["nDCG@10", "R@100", "RR@10"]


@pytest.fixture(scope="package")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 queries, 16 documents, qrels and a run (see tests/fixtures.py)."""
    return write_collection(tmp_path_factory.mktemp("inference") / "collection")


@pytest.fixture(scope="package")
def bi_encoder(tiny_bert_dir: Path) -> BiEncoderModule:
    return BiEncoderModule(str(tiny_bert_dir), evaluation_metrics=METRICS)


@pytest.fixture(scope="package")
def index_dir(tmp_path_factory: pytest.TempPathFactory, bi_encoder: BiEncoderModule, collection: Path) -> Path:
    """An exact index of the collection (read-only for the tests)."""
    root = tmp_path_factory.mktemp("index")
    index_dir = root / "index"
    trainer = LightningIRTrainer(
        callbacks=[IndexCallback(index_dir, TorchDenseIndexConfig())], **quiet_trainer_kwargs(root)
    )
    trainer.index(bi_encoder, datamodule=doc_data(collection), verbose=False)
    return index_dir


def doc_data(collection: Path, batch_size: int = 3) -> LightningIRDataModule:
    return LightningIRDataModule(inference_datasets=[DocDataset(str(collection))], inference_batch_size=batch_size)


def read_run_file(path: Path) -> dict[str, list[tuple[str, int, float, str]]]:
    """A TREC run as ``{query_id: [(doc_id, rank, score, tag), ...]}`` in file order, checking the layout."""
    run: dict[str, list[tuple[str, int, float, str]]] = {}
    for line in path.read_text().splitlines():
        query_id, q0, doc_id, rank, score, tag = line.split()
        assert q0 == "Q0"
        run.setdefault(query_id, []).append((doc_id, int(rank), float(score), tag))
    return run


def read_qrels(collection: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (collection / "qrels.txt").read_text().splitlines():
        query_id, _, doc_id, relevance = line.split()
        qrels.setdefault(query_id, {})[doc_id] = int(relevance)
    return qrels


def read_tsv(path: Path) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in path.read_text().splitlines() if line)
