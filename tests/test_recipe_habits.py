"""Recipes written the way users of the guide's era write them run unchanged (issue: recipes and habits)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lightning_ir.cli import LightningIRCLI
from lightning_ir.retrieve import read_metadata
from tests.fixtures import write_collection


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_fit_monitors_the_bare_metric_and_saves_the_model_in_the_log_dir(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)
    recipe = _write(
        tmp_path / "fit.yaml",
        f"""
trainer:
  max_steps: 2
  enable_progress_bar: false
  callbacks:
    - class_path: ModelCheckpoint
      init_args:
        monitor: nDCG@10
        mode: max
model:
  class_path: lightning_ir.BiEncoderModule
  init_args:
    model_name_or_path: {tiny_bert_dir}
    loss_functions:
      - lightning_ir.RankNet
    evaluation_metrics:
      - nDCG@10
data:
  class_path: lightning_ir.LightningIRDataModule
  init_args:
    train_dataset:
      class_path: lightning_ir.TupleDataset
      init_args:
        tuples_dataset: {collection}
    train_batch_size: 4
    inference_batch_size: 4
    inference_datasets:
      - class_path: lightning_ir.RunDataset
        init_args:
          run_path_or_id: {collection / "run.run"}
          dataset_id: {collection}
      - class_path: lightning_ir.RunDataset
        init_args:
          run_path_or_id: {collection / "run.run"}
          dataset_id: {collection}
          depth: 2
""",
    )
    optimizer = _write(
        tmp_path / "optimizer.yaml", "optimizer:\n  class_path: torch.optim.AdamW\n  init_args:\n    lr: 1e-4\n"
    )
    cli = LightningIRCLI(args=["fit", f"--config={recipe}", f"--config={optimizer}"])
    checkpoint = cli.trainer.checkpoint_callback
    assert checkpoint is not None
    assert checkpoint.best_model_score is not None  # type: ignore[attr-defined]
    metrics = cli.trainer.callback_metrics
    assert "nDCG@10" in metrics
    assert "run/nDCG@10" in metrics
    hf_dir = tmp_path / "lightning_logs" / "version_0" / "huggingface_checkpoint"
    assert (hf_dir / "config.json").is_file()
    assert not (tmp_path / "lightning_logs" / "version_0" / "checkpoints" / "huggingface_checkpoint").exists()


def test_index_and_search_without_output_paths_write_beside_the_model(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collection = write_collection(tmp_path / "collection")
    model_dir = shutil.copytree(tiny_bert_dir, tmp_path / "models" / "my-bi-encoder")
    monkeypatch.chdir(tmp_path)
    model = f"model:\n  class_path: lightning_ir.BiEncoderModule\n  init_args:\n    model_name_or_path: {model_dir}\n"
    index = _write(
        tmp_path / "index.yaml",
        f"""
trainer:
  logger: false
  enable_progress_bar: false
  callbacks:
    - class_path: lightning_ir.IndexCallback
{model}data:
  class_path: lightning_ir.LightningIRDataModule
  init_args:
    inference_batch_size: 4
    inference_datasets:
      - class_path: lightning_ir.DocDataset
        init_args:
          doc_dataset: {collection}
""",
    )
    LightningIRCLI(args=["index", f"--config={index}"])
    index_dir = model_dir / "indexes" / "collection"
    assert read_metadata(index_dir).num_docs == 16
    search = _write(
        tmp_path / "search.yaml",
        f"""
trainer:
  logger: false
  enable_progress_bar: false
  callbacks:
    - class_path: lightning_ir.SearchCallback
      init_args:
        index_dir: {index_dir}
        search_config:
          class_path: lightning_ir.TorchDenseSearchConfig
          init_args:
            k: 3
{model}data:
  class_path: lightning_ir.LightningIRDataModule
  init_args:
    inference_batch_size: 4
    inference_datasets:
      - class_path: lightning_ir.QueryDataset
        init_args:
          query_dataset: {collection}
""",
    )
    LightningIRCLI(args=["search", f"--config={search}"])
    assert len((model_dir / "runs" / "collection.run").read_text().splitlines()) == 8 * 3


def test_a_run_named_the_old_way_is_re_ranked_from_yaml(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lightning_ir.data.ir_datasets_utils import register_local

    collection = write_collection(tmp_path / "collection")
    dataset_id = f"habits-{tmp_path.name}/test/judged"
    register_local(
        dataset_id,
        docs=str(collection / "docs.tsv"),
        queries=str(collection / "queries.tsv"),
        qrels=str(collection / "qrels.txt"),
    )
    run = shutil.copy(collection / "run.run", tmp_path / f"{dataset_id.replace('/', '-')}.run")
    monkeypatch.chdir(tmp_path)
    recipe = {
        "trainer": {"logger": False, "enable_progress_bar": False},
        "model": {
            "class_path": "lightning_ir.CrossEncoderModule",
            "init_args": {"model_name_or_path": str(tiny_bert_dir), "evaluation_metrics": ["nDCG@10"]},
        },
        "data": {
            "class_path": "lightning_ir.LightningIRDataModule",
            "init_args": {
                "inference_batch_size": 4,
                "inference_datasets": [
                    {"class_path": "lightning_ir.RunDataset", "init_args": {"run_path_or_id": str(run)}}
                ],
            },
        },
    }
    path = _write(tmp_path / "re-rank.yaml", yaml.safe_dump(recipe))
    cli = LightningIRCLI(args=["re_rank", f"--config={path}", "--trainer.default_root_dir=out"])
    assert cli.trainer.callback_metrics  # the run's queries found their qrels through the dataset id
