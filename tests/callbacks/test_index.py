"""IndexCallback: every document once, the module's embeddings, atomic saving, clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.callbacks import IndexCallback
from lightning_ir.data import LightningIRDataModule, QueryDataset
from lightning_ir.retrieve import FaissFlatIndexConfig, TorchDenseIndexConfig, read_metadata
from lightning_ir.trainer import LightningIRTrainer
from tests.callbacks.conftest import doc_data, read_tsv
from tests.fixtures import quiet_trainer_kwargs


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_index_holds_every_document_once_with_the_module_embeddings(
    index_dir: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    docs = read_tsv(collection / "docs.tsv")
    doc_ids = (index_dir / "doc_ids.txt").read_text().split()
    assert sorted(doc_ids) == sorted(docs)
    metadata = read_metadata(index_dir)
    assert metadata.num_docs == 16
    assert metadata.scoring.model_type == bi_encoder.config.model_type
    stored = torch.from_numpy(np.load(index_dir / "embeddings.npy"))
    with torch.no_grad():
        encoding = bi_encoder.tokenize(docs=[docs[doc_id] for doc_id in doc_ids])["doc_encoding"]
        expected = bi_encoder.model.encode_doc(encoding).embeddings[:, 0]
    torch.testing.assert_close(stored, expected, atol=1e-5, rtol=1e-4)


def test_index_returns_and_reports_the_number_of_documents(
    tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    callback = IndexCallback(tmp_path / "faiss", FaissFlatIndexConfig())
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    (result,) = trainer.index(bi_encoder, datamodule=doc_data(collection, batch_size=5))
    assert result["num_docs"] == 16
    assert callback.num_docs == 16
    assert read_metadata(tmp_path / "faiss").index_type.startswith("faiss")
    out = capsys.readouterr().out
    assert str(tmp_path / "faiss") in out
    assert "16" in out
    assert "docs/s" in out


class FailingIndexCallback(IndexCallback):
    """Fails after the second batch was added (a crash midway through indexing)."""

    def on_test_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        super().on_test_batch_end(trainer, pl_module, outputs, batch, batch_idx, dataloader_idx)
        if batch_idx == 1:
            raise RuntimeError("injected failure")


def test_failure_midway_keeps_the_previous_index_and_leaves_no_partial_one(
    tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    index_dir = tmp_path / "indexes" / "collection"
    good = IndexCallback(index_dir, TorchDenseIndexConfig())
    LightningIRTrainer(callbacks=[good], **quiet_trainer_kwargs(tmp_path)).index(
        bi_encoder, datamodule=doc_data(collection), verbose=False
    )
    before = _snapshot(index_dir)
    failing = FailingIndexCallback(index_dir, TorchDenseIndexConfig())
    with pytest.raises(RuntimeError, match="injected failure"):
        LightningIRTrainer(callbacks=[failing], **quiet_trainer_kwargs(tmp_path)).index(
            bi_encoder, datamodule=doc_data(collection), verbose=False
        )
    assert _snapshot(index_dir) == before
    assert sorted(path.name for path in index_dir.parent.iterdir()) == ["collection"]

    fresh = tmp_path / "indexes" / "fresh"
    with pytest.raises(RuntimeError, match="injected failure"):
        LightningIRTrainer(
            callbacks=[FailingIndexCallback(fresh, TorchDenseIndexConfig())], **quiet_trainer_kwargs(tmp_path)
        ).index(bi_encoder, datamodule=doc_data(collection))
    assert sorted(path.name for path in fresh.parent.iterdir()) == ["collection"]


def test_indexing_needs_a_bi_encoder(tmp_path: Path, tiny_bert_dir: Path, collection: Path) -> None:
    callback = IndexCallback(tmp_path / "index", TorchDenseIndexConfig())
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    with pytest.raises(TypeError, match="indexing needs a BiEncoderModule"):
        trainer.index(CrossEncoderModule(str(tiny_bert_dir)), datamodule=doc_data(collection))
    assert not (tmp_path / "index").exists()


def test_index_stage_needs_the_callback_and_documents(
    tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    with pytest.raises(ValueError, match=r"add IndexCallback\(index_dir, index_config\)"):
        LightningIRTrainer(**quiet_trainer_kwargs(tmp_path)).index(bi_encoder, datamodule=doc_data(collection))
    callback = IndexCallback(tmp_path / "index", TorchDenseIndexConfig())
    queries = LightningIRDataModule(inference_datasets=[QueryDataset(str(collection))], inference_batch_size=4)
    with pytest.raises(ValueError, match="yields SearchBatch batches; index takes DocDataset datasets"):
        LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path)).index(bi_encoder, datamodule=queries)
    assert not (tmp_path / "index").exists()
    with pytest.raises(TypeError, match="index_config must be an IndexConfig"):
        IndexCallback(tmp_path / "index", "torch")  # type: ignore[arg-type]
