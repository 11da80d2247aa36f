"""``lightning-ir mine`` and ``lightning-ir score_tuples``: YAML recipes, command-line options, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lightning_ir.cli import main
from lightning_ir.data import TupleDataset
from lightning_ir.data.local_formats import read_doc_tuples
from tests.commands.conftest import error_line
from tests.fixtures import TOPICS, write_collection


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    return write_collection(tmp_path / "collection")


def test_mine_runs_a_yaml_recipe_with_a_bm25_first_stage(
    tmp_path: Path, collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = {
        "query_dataset": str(collection),
        "output_dir": str(tmp_path / "mined"),
        "first_stage": {
            "class_path": "lightning_ir.experiment.BM25Stage",
            "init_args": {"index_dir": str(tmp_path / "bm25"), "search_config": {"k": 16}},
        },
        "num_negatives": 3,
        "min_rank": 1,
        "max_rank": 16,
        "seed": 5,
    }
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(recipe))
    main(["mine", f"--config={path}", "--num_negatives=2"])
    out = capsys.readouterr().out
    assert f"8 tuples of 8 queries written to {tmp_path / 'mined'}" in out
    tuples = list(read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl"))
    assert {len(item.doc_ids) for item in tuples} == {3}
    assert (tmp_path / "mined" / "runs" / "bm25.run").is_file()


def test_mine_with_a_run_file_from_options(tmp_path: Path, collection: Path) -> None:
    output = tmp_path / "mined"
    args = ["mine", f"--query_dataset={collection}", f"--run={collection / 'run.run'}", f"--output_dir={output}"]
    main([*args, "--num_negatives=2", "--min_rank=3"])
    main([*args, "--num_negatives=1", "--min_rank=3", "--sampling=top"])  # replaces the folder it wrote
    samples = list(TupleDataset(str(output)).iter_all())
    assert len(samples) == 8
    topics = [topic for topic, _ in TOPICS]
    expected = {f"q-{t}": [f"d-{t}", f"d-{topics[(i + 1) % 8]}"] for i, t in enumerate(topics)}  # rank 3 of run.run
    assert {sample.query_id: sample.doc_ids for sample in samples} == expected


def test_mine_input_errors_are_one_line(tmp_path: Path, collection: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_run = tmp_path / "bad.run"
    bad_run.write_text("q-nowhere Q0 d-apple 1 1.0 x\n")
    base = ["mine", f"--query_dataset={collection}", f"--output_dir={tmp_path / 'out'}"]
    line = error_line(capsys, [*base, f"--run={bad_run}"])
    assert "ranks 1 queries" in line
    assert "q-nowhere" in line
    line = error_line(capsys, [*base, f"--run={tmp_path / 'missing.run'}"])
    assert "missing.run does not exist" in line
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("x")
    line = error_line(capsys, [*base[:2], f"--output_dir={tmp_path / 'taken'}", f"--run={collection / 'run.run'}"])
    assert "refusing to replace" in line
    assert (tmp_path / "taken" / "keep.txt").read_text() == "x"


def test_score_tuples_command(tmp_path: Path, collection: Path, tiny_bert_dir: Path) -> None:
    main(
        [
            "score_tuples",
            "--module=lightning_ir.CrossEncoderModule",
            f"--module.init_args.model_name_or_path={tiny_bert_dir}",
            f"--tuples_dataset={collection}",
            f"--output_dir={tmp_path / 'scored'}",
            "--num_docs=2",
        ]
    )
    samples = list(TupleDataset(str(tmp_path / "scored"), targets="score").iter_all())
    assert len(samples) == 8
    assert all(len(sample.targets) == 2 for sample in samples)
