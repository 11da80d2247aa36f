"""The fine-tuning recipes of configs/ in sequence: mine -> fit -> score -> distil -> index, search, re-rank, report.

Each recipe runs unchanged but for the model (a tiny random BERT), the data (the small local collection) and the
budget; relative paths land in a temporary working directory, so every step reads what the previous one wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lightning_ir.cli import LightningIRCLI, main
from lightning_ir.data import TupleDataset
from lightning_ir.data.local_formats import read_doc_tuples
from tests.fixtures import write_collection

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SCHEDULE = [CONFIGS / "optimizer-adamw.yaml", CONFIGS / "lr-scheduler-linear-warmup.yaml"]


def _write(path: Path, content: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(content))
    return path


def _fit(recipe: str, tiny_bert_dir: Path, work: Path) -> Path:
    """Runs a fit recipe for 2 steps with the tiny backbone; returns the Hugging Face checkpoint it saved."""
    overrides = {
        "model": {"init_args": {"model_name_or_path": str(tiny_bert_dir)}},
        "trainer": {"max_steps": 2, "max_epochs": 1, "enable_progress_bar": False},
        "data": {"init_args": {"train_batch_size": 4, "num_workers": 0}},
    }
    override = _write(work / f"override-{recipe}", overrides)
    args = ["fit", f"--config={CONFIGS / recipe}", *[f"--config={path}" for path in SCHEDULE], f"--config={override}"]
    cli = LightningIRCLI(args=[*args, "--lr_scheduler.init_args.num_warmup_steps=1"])
    assert cli.trainer.global_step == 2
    checkpoint = Path(yaml.safe_load((CONFIGS / recipe).read_text())["trainer"]["default_root_dir"])
    checkpoint = checkpoint / "huggingface_checkpoint"
    assert (checkpoint / "config.json").is_file()
    return checkpoint


def _mine(collection: Path, work: Path) -> Path:
    """Runs configs/mine-scifact.yaml on the local collection (BM25 ranks all 16 documents)."""
    mine = {"query_dataset": str(collection), "doc_dataset": str(collection), "min_rank": 1, "max_rank": 16}
    mine["first_stage"] = {"init_args": {"search_config": {"k": 16}}}
    main(["mine", f"--config={CONFIGS / 'mine-scifact.yaml'}", f"--config={_write(work / 'mine.yaml', mine)}"])
    return Path(yaml.safe_load((CONFIGS / "mine-scifact.yaml").read_text())["output_dir"])


def test_mining_recipe_writes_the_tuples_the_fit_recipes_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)
    mined = _mine(collection, tmp_path)
    assert {len(item.doc_ids) for item in read_doc_tuples(mined / "docpairs.jsonl")} == {8}
    for recipe in ("fit-bi-encoder-scifact.yaml", "fit-cross-encoder-scifact.yaml"):
        dataset = yaml.safe_load((CONFIGS / recipe).read_text())["data"]["init_args"]["train_dataset"]["init_args"]
        assert Path(dataset["tuples_dataset"]) == mined
        assert len(list(TupleDataset(**dataset).iter_all())) == 8


@pytest.mark.slow
def test_mine_fit_score_distil_and_evaluate(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)

    mined = _mine(collection, tmp_path)
    _fit("fit-bi-encoder-scifact.yaml", tiny_bert_dir, tmp_path)
    _fit("fit-cross-encoder-scifact.yaml", tiny_bert_dir, tmp_path)

    main(["score_tuples", f"--config={CONFIGS / 'score-tuples-scifact.yaml'}"])
    scored = list(TupleDataset("mined/scifact-train-scored", targets="score").iter_all())
    assert len(scored) == 8
    assert all(len(sample.targets) == 8 for sample in scored)
    _fit("fit-bi-encoder-distill-scifact.yaml", tiny_bert_dir, tmp_path)

    capsys.readouterr()
    pipeline = {"query_dataset": str(collection), "doc_dataset": str(collection), "re_rank": {"depth": 5}}
    override = _write(tmp_path / "pipeline.yaml", pipeline)
    main(["pipeline", f"--config={CONFIGS / 'pipeline-scifact-fine-tuned.yaml'}", f"--config={override}"])
    out = capsys.readouterr().out
    runs = Path("experiments/scifact-fine-tuned/runs")
    assert sorted(path.name for path in runs.iterdir()) == ["bm25.run", "dense.run", "re-ranked.run"]
    assert "nDCG@10" in out
    manifest = json.loads((mined / "training-tuples.json").read_text())
    assert manifest["mining"]["num_negatives"] == 7
