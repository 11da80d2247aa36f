"""T5 re-rankers train with the existing losses and re-rank through the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from lightning_ir import CrossEncoderModule, T5CrossEncoderConfig, T5CrossEncoderModel
from lightning_ir.callbacks import ReRankCallback
from lightning_ir.cli import LightningIRCLI
from lightning_ir.data import LightningIRDataModule, TupleDataset
from lightning_ir.loss import KLDivergence, RankNet
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection
from tests.models.test_t5 import save_encoder_only_rankt5, save_tiny_t5


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_collection(tmp_path_factory.mktemp("t5-collection"))


@pytest.fixture(scope="module")
def monot5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_t5(tmp_path_factory.mktemp("t5-training") / "monot5")


def _module(strategy: str | None, monot5_dir: Path, tmp_path: Path) -> CrossEncoderModule:
    losses = [RankNet(), (KLDivergence(), 0.5)]
    if strategy is None:
        return CrossEncoderModule(str(save_encoder_only_rankt5(tmp_path / "enc", "mean")), loss_functions=losses)
    config = T5CrossEncoderConfig(decoder_strategy=strategy)  # type: ignore[arg-type]
    return CrossEncoderModule(str(monot5_dir), config=config, loss_functions=losses)


@pytest.mark.parametrize("strategy", ["mono", "rank", None], ids=["monoT5", "RankT5", "RankT5-encoder-only"])
def test_one_training_step_updates_head_and_encoder_with_finite_gradients(
    strategy: str | None, monot5_dir: Path, collection: Path, tmp_path: Path
) -> None:
    module = _module(strategy, monot5_dir, tmp_path)
    module.set_optimizer(torch.optim.AdamW, lr=1e-3)
    before = {name: parameter.detach().clone() for name, parameter in module.model.named_parameters()}
    data = LightningIRDataModule(train_dataset=TupleDataset(str(collection)), train_batch_size=2)
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path, max_steps=1, enable_checkpointing=False))
    trainer.fit(module, data)
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["loss"])
    changed = {name for name, parameter in module.model.named_parameters() if not torch.equal(parameter, before[name])}
    assert "linear.weight" in changed
    assert any(name.startswith("backbone.encoder.block.0.") for name in changed)
    assert all(torch.isfinite(parameter).all() for parameter in module.model.parameters())


def _re_rank_recipe(tmp_path: Path, model: dict[str, Any], collection: Path) -> Path:
    recipe = {
        "trainer": {
            "logger": False,
            "enable_progress_bar": False,
            "default_root_dir": str(tmp_path / "logs"),
            "callbacks": [
                {
                    "class_path": "lightning_ir.callbacks.ReRankCallback",
                    "init_args": {"save_dir": str(tmp_path / "runs")},
                }
            ],
        },
        "model": {"class_path": "lightning_ir.CrossEncoderModule", "init_args": model},
        "data": {
            "class_path": "lightning_ir.data.LightningIRDataModule",
            "init_args": {
                "inference_batch_size": 3,
                "inference_datasets": [
                    {
                        "class_path": "lightning_ir.data.RunDataset",
                        "init_args": {"run_path_or_id": str(collection / "run.run"), "dataset_id": str(collection)},
                    }
                ],
            },
        },
    }
    path = tmp_path / "t5-re-rank.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def test_re_rank_through_the_cli(monot5_dir: Path, collection: Path, tmp_path: Path) -> None:
    model = {"model_name_or_path": str(monot5_dir), "evaluation_metrics": ["nDCG@10"]}
    cli = LightningIRCLI(args=["re_rank", f"--config={_re_rank_recipe(tmp_path, model, collection)}"])
    module = cli.model
    assert isinstance(module.model, T5CrossEncoderModel)
    assert module.config.decoder_strategy == "mono"
    (callback,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, ReRankCallback)]
    lines = callback.run_paths[0].read_text().splitlines()
    queries = dict(line.split("\t", 1) for line in (collection / "queries.tsv").read_text().splitlines())
    docs = dict(line.split("\t", 1) for line in (collection / "docs.tsv").read_text().splitlines())
    ranked: dict[str, list[tuple[str, float]]] = {}
    for line in lines:
        query_id, _, doc_id, _, score, _ = line.split()
        ranked.setdefault(query_id, []).append((doc_id, float(score)))
    assert len(ranked) == 8
    for query_id, ranking in ranked.items():
        expected = module.score(queries[query_id], [docs[doc_id] for doc_id, _ in ranking]).scores
        torch.testing.assert_close(torch.tensor([score for _, score in ranking]), expected, atol=1e-4, rtol=1e-4)
        assert [score for _, score in ranking] == sorted((score for _, score in ranking), reverse=True)


def test_a_yaml_recipe_builds_rankt5_from_its_config(monot5_dir: Path, collection: Path, tmp_path: Path) -> None:
    rank_config = {"class_path": "lightning_ir.T5CrossEncoderConfig", "init_args": {"decoder_strategy": "rank"}}
    model = {"model_name_or_path": str(monot5_dir), "config": rank_config}
    cli = LightningIRCLI(args=[f"--config={_re_rank_recipe(tmp_path, model, collection)}"], run=False)
    assert isinstance(cli.model.model, T5CrossEncoderModel)
    assert cli.model.config.decoder_strategy == "rank"
    assert cli.model.model.linear.weight.shape[0] == 1
