"""Pipeline: BM25 + dense -> RRF -> re-ranking -> report on a tiny model and the small local collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.cli import main
from lightning_ir.commands.pipeline import build_pipeline
from lightning_ir.data import RunDataset
from lightning_ir.experiment import (
    BM25Stage,
    DenseStage,
    FusionStage,
    Pipeline,
    ReRankStage,
    fuse_runs,
    load_run,
)
from lightning_ir.retrieve import BM25IndexConfig, BM25SearchConfig
from tests.fixtures import write_collection

QUIET = {"accelerator": "cpu", "devices": 1, "enable_progress_bar": False}


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 queries, 16 documents and qrels (see tests/fixtures.py)."""
    return write_collection(tmp_path_factory.mktemp("pipeline") / "collection")


@pytest.fixture(scope="module")
def bi_encoder_dir(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path) -> Path:
    """A tiny bi-encoder saved with its (randomly initialised) head, so that every load has the same weights."""
    directory = tmp_path_factory.mktemp("bi-encoder")
    BiEncoderModule(str(tiny_bert_dir)).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def bi_encoder(bi_encoder_dir: Path) -> BiEncoderModule:
    return BiEncoderModule(str(bi_encoder_dir))


def hybrid(tmp_path: Path, collection: Path, tiny_bert_dir: Path, bi_encoder_dir: Path, **overrides) -> Pipeline:
    """BM25 (stemmed) + tiny bi-encoder -> RRF -> tiny cross-encoder on the top 5 -> report."""
    options = {
        "query_dataset": str(collection),
        "doc_dataset": str(collection),
        "output_dir": tmp_path / "out",
        "first_stages": [
            BM25Stage(tmp_path / "bm25-index", index_config=BM25IndexConfig(stemmer="english")),
            DenseStage(BiEncoderModule(str(bi_encoder_dir)), tmp_path / "dense-index", batch_size=4),
        ],
        "fusion": FusionStage("rrf"),
        "re_rank": ReRankStage(CrossEncoderModule(str(tiny_bert_dir)), depth=5),
        "metrics": ["nDCG@10", "R@100"],
        "trainer_kwargs": QUIET,
    }
    options.update(overrides)
    return Pipeline(**options)


def flat(run: dict[str, dict[str, float]]) -> dict[tuple[str, str], float]:
    return {(query_id, doc_id): score for query_id, scores in run.items() for doc_id, score in scores.items()}


def top(scores: dict[str, float], depth: int) -> set[str]:
    return set(sorted(scores, key=scores.__getitem__, reverse=True)[:depth])


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, collection: Path, tiny_bert_dir: Path, bi_encoder_dir: Path
) -> tuple[Path, Any]:
    """BM25 and dense indexed first, the BM25 top 5 re-ranked by a cross-encoder, the report (no fusion: fast)."""
    tmp_path = tmp_path_factory.mktemp("built")
    pipeline = hybrid(
        tmp_path,
        collection,
        tiny_bert_dir,
        bi_encoder_dir,
        fusion=None,
        re_rank=ReRankStage(CrossEncoderModule(str(tiny_bert_dir)), depth=5, input_stage="bm25"),
    )
    return tmp_path, pipeline.run()


def test_pipeline_indexes_searches_re_ranks_and_reports(built, collection):
    tmp_path, result = built
    runs_dir = tmp_path / "out" / "runs"
    assert result.runs == {name: runs_dir / f"{name}.run" for name in ("bm25", "dense", "re-ranked")}
    steps = {"bm25-index", "bm25-search", "dense-index", "dense-search", "re-ranked", "report"}
    assert set(result.seconds) == steps
    runs = {name: load_run(path) for name, path in result.runs.items()}
    assert {query_id: scores["d-coffee"] for query_id, scores in runs["bm25"].items() if "d-coffee" in scores}
    assert max(runs["bm25"]["q-coffee"], key=runs["bm25"]["q-coffee"].get) == "d-coffee"
    for query_id, scores in runs["re-ranked"].items():
        assert set(scores) == top(runs["bm25"][query_id], 5)
    report = result.report
    assert report is not None
    assert report.systems == ["bm25", "dense", "re-ranked"]
    assert report.baseline == "bm25"
    files = {path.name for path in (tmp_path / "out" / "report").iterdir()}
    assert {"report.md", "report.csv"} <= files
    assert any(name.endswith(".png") for name in files)
    assert RunDataset(result.runs["dense"], depth=3, dataset_id=str(collection))[0].docs


@pytest.mark.slow  # ranx compiles its fusion code on first use (about 35 s on 2 cores)
def test_hybrid_pipeline_with_rrf(tmp_path, collection, tiny_bert_dir, bi_encoder_dir):
    result = hybrid(tmp_path, collection, tiny_bert_dir, bi_encoder_dir).run()
    runs_dir = tmp_path / "out" / "runs"
    assert list(result.runs) == ["bm25", "dense", "fused-rrf", "re-ranked"]
    runs = {name: load_run(path) for name, path in result.runs.items()}
    expected = fuse_runs([runs_dir / "bm25.run", runs_dir / "dense.run"])
    assert flat(runs["fused-rrf"]) == pytest.approx(flat(expected))
    for query_id, scores in runs["re-ranked"].items():
        assert set(scores) == top(runs["fused-rrf"][query_id], 5)
    assert result.report is not None
    assert result.report.systems == ["bm25", "dense", "fused-rrf", "re-ranked"]


def module_spec(class_name: str, path: Path) -> dict[str, Any]:
    return {"class_path": f"lightning_ir.{class_name}", "init_args": {"model_name_or_path": str(path)}}


def test_yaml_recipe_searching_existing_indexes(built, tmp_path, collection, bi_encoder_dir, capsys):
    indexes = built[0]
    recipe = {
        "query_dataset": str(collection),
        "output_dir": str(tmp_path / "yaml"),
        "first_stages": [
            {
                "class_path": "lightning_ir.experiment.BM25Stage",
                "init_args": {"index_dir": str(indexes / "bm25-index"), "index": False, "search_config": {"k": 8}},
            },
            {
                "class_path": "lightning_ir.experiment.DenseStage",
                "init_args": {
                    "module": module_spec("BiEncoderModule", bi_encoder_dir),
                    "index_dir": str(indexes / "dense-index"),
                    "index": False,
                    "search_config": {"class_path": "lightning_ir.retrieve.TorchDenseSearchConfig"},
                    "name": "minilm",
                },
            },
        ],
        "re_rank": {"module": module_spec("BiEncoderModule", bi_encoder_dir), "input_stage": "bm25", "depth": 3},
        "metrics": ["nDCG@10", "RR@10"],
        "baseline": "minilm",
        "trainer_kwargs": QUIET,
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    main(["pipeline", "--config", str(path)])
    printed = capsys.readouterr().out
    runs_dir = tmp_path / "yaml" / "runs"
    for name in ("bm25", "minilm", "re-ranked"):
        assert (runs_dir / f"{name}.run").is_file()
        assert name in printed
    assert "RR@10" in printed
    assert "seconds: bm25-search" in printed
    bm25 = load_run(runs_dir / "bm25.run")
    assert all(len(scores) == 8 for scores in bm25.values())
    for query_id, scores in load_run(runs_dir / "re-ranked.run").items():
        assert set(scores) == top(bm25[query_id], 3)
    assert (tmp_path / "yaml" / "report" / "report.md").read_text().startswith("# Lightning IR experiment report")


def test_shipped_hybrid_recipe_builds():
    recipe = Path(__file__).resolve().parents[2] / "configs" / "pipeline-scifact-hybrid.yaml"
    pipeline = build_pipeline(["--config", str(recipe)])
    assert pipeline.stage_names == ["bm25", "dense", "fused-rrf"]
    assert pipeline.query_dataset == "beir/scifact/test"
    assert isinstance(pipeline.first_stages[1], DenseStage)
    assert pipeline.fusion is not None
    assert (pipeline.fusion.method, pipeline.fusion.k) == ("rrf", 60)


def test_foreign_files_are_refused_before_any_work(tmp_path, collection, tiny_bert_dir, bi_encoder_dir):
    runs_dir = tmp_path / "out" / "runs"
    runs_dir.mkdir(parents=True)
    (runs_dir / "re-ranked.run").write_text("my notes\n")
    with pytest.raises(OverwriteRefusedError, match="re-ranked.run"):
        hybrid(tmp_path, collection, tiny_bert_dir, bi_encoder_dir).run()
    assert not (tmp_path / "bm25-index").exists()
    assert (runs_dir / "re-ranked.run").read_text() == "my notes\n"
    (runs_dir / "re-ranked.run").unlink()
    (tmp_path / "out" / "report").mkdir()
    (tmp_path / "out" / "report" / "draft.txt").write_text("draft")
    with pytest.raises(OverwriteRefusedError, match="report"):
        hybrid(tmp_path, collection, tiny_bert_dir, bi_encoder_dir).run()
    assert not (tmp_path / "bm25-index").exists()


def test_a_report_folder_holding_the_runs_is_refused_before_any_work(tmp_path, collection):
    stage = BM25Stage(tmp_path / "bm25-index", search_config=BM25SearchConfig(k=5))
    pipeline = Pipeline(
        str(collection), tmp_path / "out", [stage], doc_dataset=str(collection), report_dir=tmp_path / "out"
    )
    with pytest.raises(ValueError, match="report_dir .* must not hold one another"):
        pipeline.run()
    assert not (tmp_path / "bm25-index").exists()


def test_index_of_another_type_is_refused_before_any_work(built, tmp_path, collection, bi_encoder):
    indexes = built[0]
    stages = [BM25Stage(indexes / "dense-index", index=False), DenseStage(bi_encoder, indexes / "bm25-index")]
    with pytest.raises(ValueError, match="stage 'bm25' cannot search the 'torch-dense' index"):
        Pipeline(str(collection), tmp_path / "out", stages, doc_dataset=str(collection)).run()
    stages = [DenseStage(bi_encoder, indexes / "bm25-index", index=False)]
    with pytest.raises(ValueError, match=r"stage 'dense' cannot search the 'bm25' index .* \['torch-dense'\]"):
        Pipeline(str(collection), tmp_path / "out", stages).run()
    assert not (tmp_path / "out").exists()


def test_missing_index_and_missing_documents_are_refused_before_any_work(tmp_path, collection):
    stage = BM25Stage(tmp_path / "none", index=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Pipeline(str(collection), tmp_path / "out", [stage]).run()
    with pytest.raises(ValueError, match="stage 'bm25' builds its index and needs doc_dataset"):
        Pipeline(str(collection), tmp_path / "out", [BM25Stage(tmp_path / "i")]).run()
    assert not (tmp_path / "out" / "runs").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"first_stages": []}, "at least one stage"),
        ({"fusion": FusionStage()}, "fusion needs two or more first stages"),
        ({"extra": True}, r"repeated: \['bm25'\]"),
        ({"same_dir": True}, "every first stage needs its own index_dir"),
        ({"re_rank_input": "dense"}, "re_rank input_stage 'dense' is none of the stages"),
        ({"baseline": "dense"}, "baseline 'dense' is none of the stages"),
        ({"baseline": 3}, "baseline 3 is no position among the 1 stages"),
        ({"metrics": ["nDCG@x"]}, "nDCG@x"),
    ],
)
def test_invalid_recipes(tmp_path, bi_encoder, options, message):
    stages = [BM25Stage(tmp_path / "a", search_config=BM25SearchConfig(k=5))]
    if options.pop("extra", False):
        stages.append(BM25Stage(tmp_path / "b"))
    if options.pop("same_dir", False):
        stages.append(BM25Stage(tmp_path / "a", name="other"))
    source = options.pop("re_rank_input", None)
    if source is not None:
        options["re_rank"] = ReRankStage(bi_encoder, input_stage=source)
    options = {"first_stages": stages, **options}
    with pytest.raises(ValueError, match=message):
        Pipeline("unused", tmp_path / "out", **options)


def test_invalid_stage_options(tmp_path, bi_encoder):
    with pytest.raises(ValueError, match="stage name 'a b' must be a plain file name"):
        BM25Stage(tmp_path, name="a b")
    with pytest.raises(ValueError, match="stage name 'x.run'"):
        FusionStage(name="x.run")
    with pytest.raises(ValueError, match="method must be one of"):
        FusionStage("borda")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="FusionStage: k must be a number >= 0"):
        FusionStage(k=-1)
    with pytest.raises(ValueError, match="FusionStage: weights must be finite numbers >= 0"):
        FusionStage(weights=[1.0, float("nan")])
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        ReRankStage(bi_encoder, depth=0)
