"""``lightning-ir bm25_index`` / ``bm25_search``: options and YAML recipes, runs that re_rank reads directly, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lightning_ir import BiEncoderModule, LightningIRTrainer, ReRankCallback
from lightning_ir.cli import main
from lightning_ir.data import LightningIRDataModule, RunDataset
from lightning_ir.data.ir_datasets_utils import register_local
from lightning_ir.data.run_file import read_run
from lightning_ir.retrieve import BM25Searcher
from tests.fixtures import quiet_trainer_kwargs, write_collection


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_collection(tmp_path_factory.mktemp("bm25-cli") / "collection")


@pytest.fixture(scope="module")
def dataset_id(collection: Path) -> str:
    """The collection registered under an id, so that a run named after it finds it by name."""
    return register_local(
        "bm25-cli-test",
        docs=collection / "docs.tsv",
        queries=collection / "queries.tsv",
        qrels=collection / "qrels.txt",
    )


def test_index_and_search_from_options(tmp_path, collection, dataset_id, tiny_bert_dir, capsys):
    index_dir = tmp_path / "index"
    main(["bm25_index", "--doc_dataset", str(collection), "--index_dir", str(index_dir)])
    main(
        ["bm25_index", "--doc_dataset", dataset_id, "--index_dir", str(index_dir), "--index_config.stemmer", "english"]
    )
    assert BM25Searcher(index_dir).index_config.stemmer == "english"
    main(["bm25_search", "--index_dir", str(index_dir), "--query_dataset", dataset_id, "--save_dir", str(tmp_path)])
    printed = capsys.readouterr().out
    run_path = tmp_path / "bm25-cli-test.run"
    assert f"run written to {run_path}" in printed
    assert "nDCG@10" in printed
    assert "R@100" in printed
    entries = list(read_run(run_path))
    assert len(entries) == 8 * 16
    # the run's name leads RunDataset to the collection: texts and qrels, no dataset_id needed
    dataset = RunDataset(run_path, depth=4)
    assert len(dataset) == 8
    assert dataset[0].docs
    callback = ReRankCallback(save_dir=tmp_path / "re-ranked")
    data = LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=4)
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    trainer.re_rank(BiEncoderModule(str(tiny_bert_dir)), datamodule=data, verbose=False)
    re_ranked = list(read_run(callback.run_paths[0]))
    assert len(re_ranked) == 8 * 4


def test_yaml_recipes(tmp_path, collection, capsys):
    index_recipe = tmp_path / "index.yaml"
    index_recipe.write_text(
        yaml.safe_dump(
            {
                "index_dir": str(tmp_path / "index"),
                "doc_dataset": str(collection),
                "index_config": {"method": "bm25+", "k1": 1.2, "stopwords": ["a", "the", "with"]},
            }
        )
    )
    search_recipe = tmp_path / "search.yaml"
    search_recipe.write_text(
        yaml.safe_dump(
            {
                "index_dir": str(tmp_path / "index"),
                "query_dataset": str(collection),
                "save_dir": str(tmp_path / "runs"),
                "run_name": "bm25",
                "search_config": {"k": 3},
                "evaluation_metrics": ["RR@10"],
            }
        )
    )
    main(["bm25_index", "--config", str(index_recipe)])
    main(["bm25_search", "--config", str(search_recipe), "--num_queries", "5"])
    config = BM25Searcher(tmp_path / "index").index_config
    assert (config.method, config.k1, config.stopwords) == ("bm25+", 1.2, ("a", "the", "with"))
    entries = list(read_run(tmp_path / "runs" / "bm25.run"))
    assert len(entries) == 5 * 3
    assert "RR@10" in capsys.readouterr().out


def test_shipped_recipes_parse(capsys):
    configs = Path(__file__).resolve().parents[2] / "configs"
    for command, recipe in (("bm25_index", "bm25-index-scifact.yaml"), ("bm25_search", "bm25-search-scifact.yaml")):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--config", str(configs / recipe), "--print_config"])
        assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert "doc_dataset: beir/scifact" in printed
    assert "run_name: beir__scifact__test.bm25.run" in printed


def test_errors_are_one_line(tmp_path, collection, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "bm25_search",
                "--index_dir",
                str(tmp_path / "none"),
                "--query_dataset",
                str(collection),
                "--save_dir",
                "x",
            ]
        )
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"lightning-ir: error: index directory {tmp_path / 'none'} does not exist; build it with an Indexer first"
    ]
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("keep")
    with pytest.raises(SystemExit):
        main(["bm25_index", "--doc_dataset", str(collection), "--index_dir", str(notes)])
    assert "refusing to replace" in capsys.readouterr().err
    assert (notes / "a.txt").read_text() == "keep"
