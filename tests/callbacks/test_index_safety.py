"""Indexing never deletes what is not an index: through the Python API, the trainer and the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lightning_ir import BiEncoderModule
from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.callbacks import IndexCallback
from lightning_ir.retrieve import TorchDenseIndexConfig, read_metadata
from lightning_ir.trainer import LightningIRTrainer, save_huggingface_checkpoint
from tests.callbacks.conftest import doc_data
from tests.fixtures import quiet_trainer_kwargs
from tests.retrieve.helpers import model_config

ROOT = Path(__file__).resolve().parents[2]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _notes(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "notes.md").write_text("three years of notes\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return folder


def test_a_folder_that_is_not_an_index_is_refused_by_the_indexer(tmp_path: Path) -> None:
    notes = _notes(tmp_path / "notes")
    before = _snapshot(notes)
    with pytest.raises(OverwriteRefusedError, match=rf"refusing to replace {notes}: .* not a Lightning IR index"):
        TorchDenseIndexConfig().indexer_class(notes, TorchDenseIndexConfig(), model_config())
    assert _snapshot(notes) == before


class _CountingModule(BiEncoderModule):
    encoded = 0

    def inference_step(self, batch, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        type(self).encoded += 1
        return super().inference_step(batch, *args, **kwargs)


def test_a_folder_that_is_not_an_index_is_refused_before_any_encoding(
    tmp_path: Path, tiny_bert_dir: Path, collection: Path
) -> None:
    index_dir = tmp_path / "index"
    callback = IndexCallback(index_dir, TorchDenseIndexConfig())
    _notes(index_dir)
    before = _snapshot(index_dir)
    module = _CountingModule(str(tiny_bert_dir))
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    with pytest.raises(OverwriteRefusedError, match="not a Lightning IR index"):
        trainer.index(module, datamodule=doc_data(collection), verbose=False)
    assert _CountingModule.encoded == 0
    assert _snapshot(index_dir) == before
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".index")) == []


def test_an_index_and_an_empty_folder_are_replaced_and_a_symlink_is_kept(
    tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    real = tmp_path / "big-disk" / "index"
    real.mkdir(parents=True)  # empty: may be filled
    link = tmp_path / "index"
    link.symlink_to(real, target_is_directory=True)
    for _ in range(2):  # the second run replaces the index of the first
        trainer = LightningIRTrainer(
            callbacks=[IndexCallback(link, TorchDenseIndexConfig())], **quiet_trainer_kwargs(tmp_path)
        )
        trainer.index(bi_encoder, datamodule=doc_data(collection), verbose=False)
        assert link.is_symlink()
        assert Path(os.readlink(link)) == real
        assert read_metadata(real).num_docs == 16
    assert sorted(path.name for path in real.parent.iterdir()) == ["index"]


def test_a_huggingface_checkpoint_replaces_only_a_lightning_ir_model(
    tmp_path: Path, bi_encoder: BiEncoderModule
) -> None:
    target = tmp_path / "huggingface_checkpoint"
    save_huggingface_checkpoint(bi_encoder, target)
    save_huggingface_checkpoint(bi_encoder, target)  # its own folder: replaced
    assert (target / "config.json").is_file()
    foreign = _notes(tmp_path / "other")
    before = _snapshot(foreign)
    with pytest.raises(OverwriteRefusedError, match="not a Lightning IR Hugging Face checkpoint"):
        save_huggingface_checkpoint(bi_encoder, foreign)
    assert _snapshot(foreign) == before


def _cli_recipe(tmp_path: Path, tiny_bert_dir: Path, collection: Path, index_dir: str) -> Path:
    recipe = {
        "trainer": {
            "logger": False,
            "enable_progress_bar": False,
            "callbacks": [
                {
                    "class_path": "lightning_ir.callbacks.IndexCallback",
                    "init_args": {
                        "index_dir": index_dir,
                        "index_config": {"class_path": "lightning_ir.retrieve.TorchDenseIndexConfig"},
                    },
                }
            ],
        },
        "model": {
            "class_path": "lightning_ir.BiEncoderModule",
            "init_args": {"model_name_or_path": str(tiny_bert_dir)},
        },
        "data": {
            "class_path": "lightning_ir.data.LightningIRDataModule",
            "init_args": {
                "inference_batch_size": 4,
                "inference_datasets": [
                    {"class_path": "lightning_ir.data.DocDataset", "init_args": {"doc_dataset": str(collection)}}
                ],
            },
        },
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def _run_cli_index(recipe: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """``python -m lightning_ir index --config <recipe>`` run in ``workdir``."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "lightning_ir", "index", f"--config={recipe}"]
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("index_dir", [".", "notes"])
def test_the_cli_refuses_the_working_directory_and_a_notes_folder(
    tmp_path: Path, tiny_bert_dir: Path, collection: Path, index_dir: str
) -> None:
    workdir = _notes(tmp_path / "work")
    _notes(workdir / "notes")
    recipe = _cli_recipe(tmp_path, tiny_bert_dir, collection, index_dir)
    before = _snapshot(workdir)
    result = _run_cli_index(recipe, workdir)
    assert result.returncode != 0
    assert "refusing to replace" in result.stderr or "current working directory" in result.stderr
    assert "Traceback" not in result.stderr
    after = _snapshot(workdir)
    assert {name: after.get(name) for name in before} == before
    assert set(after) - set(before) <= {"config.yaml"}  # LightningCLI's record of the resolved config


def test_the_cli_keeps_a_config_yaml_it_did_not_write(tmp_path: Path, tiny_bert_dir: Path, collection: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "config.yaml").write_text("my: own config\n")
    recipe = _cli_recipe(tmp_path, tiny_bert_dir, collection, "index")
    result = _run_cli_index(recipe, workdir)
    assert result.returncode == 1
    assert "config.yaml: the file exists and is not a Lightning IR saved config" in result.stderr
    assert (workdir / "config.yaml").read_text() == "my: own config\n"
    assert not (workdir / "index").exists()
