"""The ``lightning-ir`` command line: every recipe in configs/ runs, bad YAML is refused, help works."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from lightning_ir.callbacks import IndexCallback, ReRankCallback, SearchCallback
from lightning_ir.cli import LightningIRCLI, main
from lightning_ir.commands import COMMANDS
from lightning_ir.retrieve import read_metadata
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import write_collection

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
INFERENCE_SUBCOMMANDS = ("index", "search", "re_rank")
"""In running order: index recipes first (search recipes read their indexes)."""


def _subcommand(recipe: Path) -> str | None:
    """The inference subcommand a recipe is for, by its name (``index-*``, ``search-*``, ``re-rank-*``)."""
    return next((c for c in INFERENCE_SUBCOMMANDS if recipe.name.startswith(c.replace("_", "-") + "-")), None)


INFERENCE_RECIPES = sorted(
    (path for path in CONFIGS.glob("*.yaml") if _subcommand(path) is not None),
    key=lambda path: (INFERENCE_SUBCOMMANDS.index(str(_subcommand(path))), path.name),
)
COMMAND_RECIPES = sorted(
    path
    for path in CONFIGS.glob("*.yaml")
    if any(path.name.startswith(name.replace("_", "-") + "-") for name in COMMANDS)
)
"""Recipes of the subcommands that need no trainer (``lightning-ir bm25_index``, ``pipeline``, ...)."""
FIT_RECIPES = sorted(
    path
    for path in CONFIGS.glob("*.yaml")
    if "model" in yaml.safe_load(path.read_text()) and path not in INFERENCE_RECIPES and path not in COMMAND_RECIPES
)
OPTIMIZERS = sorted(path for path in CONFIGS.glob("*.yaml") if "optimizer" in yaml.safe_load(path.read_text()))
SCHEDULERS = sorted(path for path in CONFIGS.glob("*.yaml") if "lr_scheduler" in yaml.safe_load(path.read_text()))


def _combinations() -> list[tuple[Path, Path, Path]]:
    """Each fit recipe with an optimizer and a scheduler file, cycling so that every file is used."""
    count = max(len(FIT_RECIPES), len(OPTIMIZERS), len(SCHEDULERS))
    return [
        (FIT_RECIPES[i % len(FIT_RECIPES)], OPTIMIZERS[i % len(OPTIMIZERS)], SCHEDULERS[i % len(SCHEDULERS)])
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def test_overrides(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path) -> Path:
    """A last --config that swaps in the tiny backbone and the local collection (test-only)."""
    root = tmp_path_factory.mktemp("cli")
    collection = write_collection(root / "collection")
    run_args = {"run_path_or_id": str(collection / "run.run"), "dataset_id": str(collection)}
    run = {"class_path": "lightning_ir.data.RunDataset", "init_args": run_args}
    overrides = {
        "model": {"init_args": {"model_name_or_path": str(tiny_bert_dir)}},
        "data": {
            "init_args": {
                "train_dataset": {
                    "class_path": "lightning_ir.data.TupleDataset",
                    "init_args": {"tuples_dataset": str(collection), "targets": "order"},  # unscored tuples
                },
                "train_batch_size": 2,
                "inference_batch_size": 2,
                "inference_datasets": [run],
            }
        },
        "trainer": {"fast_dev_run": True, "default_root_dir": str(root / "logs"), "enable_progress_bar": False},
    }
    path = root / "test-overrides.yaml"
    path.write_text(yaml.safe_dump(overrides))
    return path


def test_every_config_file_is_exercised() -> None:
    used = {path for combination in _combinations() for path in combination} | set(INFERENCE_RECIPES)
    assert FIT_RECIPES
    assert OPTIMIZERS
    assert SCHEDULERS
    assert {_subcommand(recipe) for recipe in INFERENCE_RECIPES} == set(INFERENCE_SUBCOMMANDS)
    assert used | set(COMMAND_RECIPES) == set(CONFIGS.glob("*.yaml"))


def test_recipes_of_trainer_less_commands_are_run_by_their_own_tests() -> None:
    """Recipes of ``bm25_*``, ``pipeline``, ``mine``, ... are run by the tests of those commands (tiny collection)."""
    tests = "\n".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.rglob("test_*.py"))
    assert COMMAND_RECIPES
    for recipe in COMMAND_RECIPES:
        assert recipe.name in tests, f"no test runs configs/{recipe.name}"


def _local_dataset(entry: dict[str, Any], collection: Path) -> dict[str, Any]:
    """The recipe's dataset entry pointed at the local collection (same class)."""
    name = entry["class_path"].rsplit(".", 1)[1]
    init_args = {
        "DocDataset": {"doc_dataset": str(collection)},
        "QueryDataset": {"query_dataset": str(collection)},
        "RunDataset": {"run_path_or_id": str(collection / "run.run"), "dataset_id": str(collection)},
    }[name]
    return {"class_path": entry["class_path"], "init_args": init_args}


def test_inference_recipes_run_with_a_tiny_model(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each index/search/re-rank recipe runs unchanged but for the model and the data.

    The recipes' relative index and run paths land in a temporary working directory.
    """
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)
    for recipe in INFERENCE_RECIPES:
        spec = yaml.safe_load(recipe.read_text())
        overrides: dict[str, Any] = {"model": {"init_args": {"model_name_or_path": str(tiny_bert_dir)}}}
        datasets = [_local_dataset(entry, collection) for entry in spec["data"]["init_args"]["inference_datasets"]]
        overrides["data"] = {"init_args": {"inference_datasets": datasets, "inference_batch_size": 3}}
        override_path = tmp_path / f"override-{recipe.name}"
        override_path.write_text(yaml.safe_dump(overrides))
        subcommand = str(_subcommand(recipe))
        cli = LightningIRCLI(
            args=[subcommand, f"--config={recipe}", f"--config={override_path}", "--trainer.enable_progress_bar=false"]
        )
        assert isinstance(cli.trainer, LightningIRTrainer)
        if subcommand == "index":
            (indexer,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, IndexCallback)]
            assert not indexer.index_dir.is_absolute()
            assert read_metadata(indexer.index_dir).num_docs == 16
        else:
            writer_type = SearchCallback if subcommand == "search" else ReRankCallback
            (writer,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, writer_type)]
            run_file = writer.run_paths[0]
            assert run_file.is_relative_to(Path(spec["trainer"]["callbacks"][0]["init_args"]["save_dir"]))
            lines = run_file.read_text().splitlines()
            assert len({line.split()[0] for line in lines}) == 8
            assert all(len(line.split()) == 6 for line in lines)
            out = capsys.readouterr().out
            for metric in spec["model"]["init_args"]["evaluation_metrics"]:
                assert metric in out


@pytest.mark.parametrize(
    ("recipe", "optimizer", "scheduler"), _combinations(), ids=[c[0].stem for c in _combinations()]
)
def test_every_recipe_fits_with_a_tiny_model(
    recipe: Path, optimizer: Path, scheduler: Path, test_overrides: Path
) -> None:
    args = ["fit"] + [f"--config={path}" for path in (recipe, optimizer, scheduler, test_overrides)]
    cli = LightningIRCLI(args=args)
    spec = yaml.safe_load(recipe.read_text())["model"]
    assert type(cli.model).__name__ == spec["class_path"].rsplit(".", 1)[1]
    expected_losses = [entry["class_path"].rsplit(".", 1)[1] for entry in spec["init_args"]["loss_functions"]]
    assert [type(loss).__name__ for loss, _ in cli.model.loss_functions] == expected_losses
    assert cli.trainer.global_step == 1
    assert math.isfinite(float(cli.trainer.callback_metrics["loss"]))
    scheduler_config = cli.trainer.lr_scheduler_configs[0]
    assert scheduler_config.interval == "step"
    expected_scheduler = yaml.safe_load(scheduler.read_text())["lr_scheduler"]["class_path"].rsplit(".", 1)[1]
    assert type(scheduler_config.scheduler).__name__ == expected_scheduler
    if hasattr(scheduler_config.scheduler, "num_training_steps"):
        assert scheduler_config.scheduler.num_training_steps == 1  # fast_dev_run: max_steps=1


def test_unknown_yaml_key_fails_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "model:\n  class_path: lightning_ir.BiEncoderModule\n  init_args:\n    model_name_or_path: x\n"
        "    loss_functon: []\n"
    )
    with pytest.raises(SystemExit) as exit_info:
        LightningIRCLI(args=["fit", f"--config={bad}"])
    assert exit_info.value.code != 0
    assert "loss_functon" in capsys.readouterr().err


def test_fit_help_lists_the_argument_groups(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--model", "--data", "--trainer.max_steps", "--optimizer", "--lr_scheduler", "--config"):
        assert option in out


def test_index_and_search_print_only_progress_and_results(tmp_path: Path, tiny_bert_dir: Path) -> None:
    """The main job's console output: stage-labelled progress bars and the tables, no third-party noise."""
    import os
    import subprocess
    import sys

    collection = write_collection(tmp_path / "collection")
    model = {
        "class_path": "lightning_ir.BiEncoderModule",
        "init_args": {"model_name_or_path": str(tiny_bert_dir), "evaluation_metrics": ["nDCG@10"]},
    }
    outputs = []
    for subcommand, callback, dataset in (
        (
            "index",
            {
                "class_path": "lightning_ir.callbacks.IndexCallback",
                "init_args": {"index_dir": "index", "index_config": {"class_path": "TorchDenseIndexConfig"}},
            },
            {"class_path": "lightning_ir.data.DocDataset", "init_args": {"doc_dataset": str(collection)}},
        ),
        (
            "search",
            {
                "class_path": "lightning_ir.callbacks.SearchCallback",
                "init_args": {
                    "index_dir": "index",
                    "search_config": {"class_path": "TorchDenseSearchConfig"},
                    "save_dir": "runs",
                },
            },
            {"class_path": "lightning_ir.data.QueryDataset", "init_args": {"query_dataset": str(collection)}},
        ),
    ):
        recipe = {
            "trainer": {"logger": False, "callbacks": [callback]},
            "model": model,
            "data": {
                "class_path": "lightning_ir.data.LightningIRDataModule",
                "init_args": {"inference_batch_size": 4, "inference_datasets": [dataset]},
            },
        }
        path = tmp_path / f"{subcommand}.yaml"
        path.write_text(yaml.safe_dump(recipe))
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(("PYTHONWARNINGS", "TRANSFORMERS"))
        }
        env.update(HF_HUB_OFFLINE="1", PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        result = subprocess.run(
            [sys.executable, "-m", "lightning_ir", subcommand, f"--config={path}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    index_output, search_output = outputs
    assert "Indexing collection" in index_output
    assert "docs/s" in index_output
    assert "Searching collection" in search_output
    assert "queries/s" in search_output
    assert "nDCG@10" in search_output
    assert "runs/collection.run" in search_output
    for output in outputs:
        noisy = [
            line
            for line in output.splitlines()
            if any(word in line for word in ("Tip:", "Deprecat", "Warning", "seed", "LOAD REPORT"))
        ]
        assert noisy == []


@pytest.mark.parametrize("content", ["", "\n", "# only a comment\n"])
def test_an_empty_config_file_is_an_empty_config(tmp_path: Path, tiny_bert_dir: Path, content: str) -> None:
    from lightning_ir.cli import without_empty_configs

    empty = tmp_path / "empty.yaml"
    empty.write_text(content)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"model:\n  class_path: lightning_ir.BiEncoderModule\n  init_args:\n    model_name_or_path: {tiny_bert_dir}\n"
        "data:\n  class_path: lightning_ir.data.LightningIRDataModule\n"
        "trainer:\n  max_steps: 3\n  logger: false\n"
    )
    args = ["fit", f"--config={empty}", "--config", str(recipe), "-c", str(empty)]
    assert without_empty_configs(args) == ["fit", "--config", str(recipe)]
    cli = LightningIRCLI(args=args[1:], run=False)  # run=False: no subcommand
    assert isinstance(cli.trainer, LightningIRTrainer)
    assert cli.trainer.max_steps == 3


def test_a_malformed_collection_is_one_error_line_naming_file_and_line(tmp_path: Path, tiny_bert_dir: Path) -> None:
    import os
    import subprocess
    import sys

    collection = tmp_path / "collection"
    collection.mkdir()
    (collection / "docs.jsonl").write_text('{"doc_id": "d1", "text": null}\n')
    recipe = {
        "trainer": {"logger": False, "callbacks": [{"class_path": "lightning_ir.IndexCallback"}]},
        "model": {
            "class_path": "lightning_ir.BiEncoderModule",
            "init_args": {"model_name_or_path": str(tiny_bert_dir)},
        },
        "data": {
            "class_path": "lightning_ir.LightningIRDataModule",
            "init_args": {
                "inference_datasets": [
                    {"class_path": "lightning_ir.DocDataset", "init_args": {"doc_dataset": str(collection)}}
                ]
            },
        },
    }
    path = tmp_path / "index.yaml"
    path.write_text(yaml.safe_dump(recipe))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run(
        [sys.executable, "-m", "lightning_ir", "index", f"--config={path}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"lightning-ir: error: line 1 of {collection / 'docs.jsonl'}: 'text' must be a string, got null"
    )
    assert "Traceback" not in result.stderr
