"""Default output places: indexes and runs beside a local model, under the log dir for a hub model."""

from __future__ import annotations

import shutil
from pathlib import Path

from lightning_ir import BiEncoderModule
from lightning_ir.callbacks import IndexCallback, ReRankCallback, SearchCallback
from lightning_ir.data import DocDataset, LightningIRDataModule, QueryDataset, RunDataset
from lightning_ir.retrieve import TorchDenseSearchConfig, read_metadata
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs


def _data(dataset: object) -> LightningIRDataModule:
    return LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=4)  # type: ignore[list-item]


def test_indexes_and_runs_go_beside_a_local_model(tmp_path: Path, tiny_bert_dir: Path, collection: Path) -> None:
    model_dir = shutil.copytree(tiny_bert_dir, tmp_path / "my-model")
    module = BiEncoderModule(str(model_dir))
    index = IndexCallback()  # neither index_dir nor index_config: the defaults
    trainer = LightningIRTrainer(callbacks=[index], **quiet_trainer_kwargs(tmp_path / "logs"))
    trainer.index(module, datamodule=_data(DocDataset(str(collection))), verbose=False)
    assert index.index_dir == model_dir / "indexes" / "collection"
    assert read_metadata(model_dir / "indexes" / "collection").index_type == "torch-dense"

    search = SearchCallback(model_dir / "indexes" / "collection", TorchDenseSearchConfig(k=2))
    trainer = LightningIRTrainer(callbacks=[search], **quiet_trainer_kwargs(tmp_path / "logs"))
    trainer.search(module, datamodule=_data(QueryDataset(str(collection))), verbose=False)
    assert search.run_paths == {0: model_dir / "runs" / "collection.run"}

    re_rank = ReRankCallback()
    trainer = LightningIRTrainer(callbacks=[re_rank], **quiet_trainer_kwargs(tmp_path / "logs"))
    run = RunDataset(str(collection / "run.run"), dataset_id=str(collection))
    trainer.re_rank(module, datamodule=_data(run), verbose=False)
    assert re_rank.run_paths == {0: model_dir / "runs" / "run.run"}
    assert not (tmp_path / "logs" / "runs").exists()


def test_a_model_without_a_local_folder_writes_under_the_log_dir(
    tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    module = BiEncoderModule(model=bi_encoder.model)
    module.config.name_or_path = "someone/hub-model"  # as loaded by a hub name: no local folder
    try:
        index = IndexCallback()
        trainer = LightningIRTrainer(callbacks=[index], **quiet_trainer_kwargs(tmp_path / "logs"))
        trainer.index(module, datamodule=_data(DocDataset(str(collection))), verbose=False)
    finally:
        module.config.name_or_path = bi_encoder.config.name_or_path
    assert index.index_dir == tmp_path / "logs" / "indexes" / "collection"
    assert read_metadata(index.index_dir).num_docs == 16
