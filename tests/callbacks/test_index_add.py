"""IndexCallback(mode="add"): documents are added to an existing index as a new shard, from Python and from YAML."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonargparse import ArgumentParser

from lightning_ir import BiEncoderModule
from lightning_ir.callbacks import IndexCallback
from lightning_ir.data import DocDataset, LightningIRDataModule
from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig, read_metadata
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs

ROOT = Path(__file__).resolve().parents[2]
NEW_DOCS = {"e-tea": "tea is a hot drink brewed from leaves", "e-bike": "a bicycle has two wheels and pedals"}


def new_docs(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "docs.tsv").write_text("".join(f"{doc_id}\t{text}\n" for doc_id, text in NEW_DOCS.items()))
    return directory


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in directory.rglob("*") if path.is_file()}


def test_documents_are_added_as_a_new_shard(
    tmp_path: Path, index_dir: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    target = tmp_path / "index"
    shutil.copytree(index_dir, target)
    callback = IndexCallback(target, TorchDenseIndexConfig(), mode="add")
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    data = LightningIRDataModule(
        inference_datasets=[DocDataset(str(new_docs(tmp_path / "new")))], inference_batch_size=2
    )
    trainer.index(bi_encoder, datamodule=data, verbose=False)

    assert callback.num_docs == 2
    metadata = read_metadata(target)
    assert [shard.num_docs for shard in metadata.shards] == [16, 2]
    first_shard = {name: data for name, data in snapshot(index_dir).items() if name != "config.json"}
    assert first_shard.items() <= snapshot(target).items()  # the first shard is untouched
    search_config = TorchDenseSearchConfig(k=3)
    searcher = search_config.searcher_class(target, search_config, bi_encoder.config)
    assert searcher.doc_ids[16:] == list(NEW_DOCS)
    with pytest.raises(ValueError, match=r"duplicate doc ids 'e-tea', 'e-bike': already in the index at"):
        LightningIRTrainer(callbacks=[IndexCallback(target, mode="add")], **quiet_trainer_kwargs(tmp_path)).index(
            bi_encoder, datamodule=data, verbose=False
        )
    assert read_metadata(target).num_docs == 18
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index", "new"]


def test_an_invalid_mode_is_refused() -> None:
    with pytest.raises(ValueError, match=r"IndexCallback: mode must be one of the allowed values .*'add'"):
        IndexCallback(mode="append")  # type: ignore[arg-type]


def test_the_callbacks_mode_is_read_from_yaml() -> None:
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--callback", type=IndexCallback)
    yaml_text = (
        "callback:\n  class_path: lightning_ir.callbacks.IndexCallback\n  init_args:\n    index_dir: indexes/a\n"
        "    index_config:\n      class_path: lightning_ir.retrieve.TorchDenseIndexConfig\n"
        "      init_args:\n        precision: float16\n    mode: add\n"
    )
    callback = parser.instantiate(parser.parse_string(yaml_text)).callback
    assert callback.mode == "add"
    assert callback.index_config == TorchDenseIndexConfig(precision="float16")


@pytest.mark.slow
def test_the_cli_adds_documents_with_the_callbacks_mode(
    tmp_path: Path, index_dir: Path, bi_encoder: BiEncoderModule
) -> None:
    target = tmp_path / "index"
    shutil.copytree(index_dir, target)
    model_dir = tmp_path / "model"  # the weights that built the index (an add with other weights is refused)
    bi_encoder.save_pretrained(model_dir)
    recipe = {
        "trainer": {
            "logger": False,
            "enable_progress_bar": False,
            "callbacks": [
                {
                    "class_path": "lightning_ir.callbacks.IndexCallback",
                    "init_args": {
                        "index_dir": str(target),
                        "index_config": {"class_path": "lightning_ir.retrieve.TorchDenseIndexConfig"},
                        "mode": "add",
                    },
                }
            ],
        },
        "model": {"class_path": "lightning_ir.BiEncoderModule", "init_args": {"model_name_or_path": str(model_dir)}},
        "data": {
            "class_path": "lightning_ir.data.LightningIRDataModule",
            "init_args": {
                "inference_batch_size": 2,
                "inference_datasets": [
                    {
                        "class_path": "lightning_ir.data.DocDataset",
                        "init_args": {"doc_dataset": str(new_docs(tmp_path / "new"))},
                    }
                ],
            },
        },
    }
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "lightning_ir", "index", f"--config={tmp_path / 'recipe.yaml'}"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [shard.num_docs for shard in read_metadata(target).shards] == [16, 2]
