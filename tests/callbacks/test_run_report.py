"""The ``report_dir`` option of SearchCallback / ReRankCallback: an experiment report on the runs they write."""

from __future__ import annotations

import csv
from pathlib import Path

import ir_measures
import pytest

from lightning_ir import BiEncoderModule
from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.callbacks import ReRankCallback, SearchCallback
from lightning_ir.data import LightningIRDataModule, QueryDataset, RunDataset
from lightning_ir.retrieve import TorchDenseSearchConfig
from lightning_ir.trainer import LightningIRTrainer
from tests.callbacks.conftest import read_qrels
from tests.experiment.conftest import PNG_SIGNATURE
from tests.fixtures import quiet_trainer_kwargs


def csv_means(folder: Path) -> dict[tuple[str, str], float]:
    with (folder / "report.csv").open() as file:
        return {(row["system"], row["measure"]): float(row["mean"]) for row in csv.DictReader(file)}


def test_search_writes_a_report_next_to_the_run(
    tmp_path: Path, bi_encoder: BiEncoderModule, index_dir: Path, collection: Path
) -> None:
    callback = SearchCallback(
        index_dir, TorchDenseSearchConfig(k=10), save_dir=tmp_path / "runs", report_dir=tmp_path / "runs" / "report"
    )
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    data = LightningIRDataModule(inference_datasets=[QueryDataset(str(collection))], inference_batch_size=4)
    (metrics,) = trainer.search(bi_encoder, datamodule=data, verbose=False)
    folder = callback.report_paths[0]
    assert folder == tmp_path / "runs" / "report"
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["cutoffs-R.png", "cutoffs-RR.png", "cutoffs-nDCG.png", "report.csv", "report.md"]
    assert all(path.read_bytes().startswith(PNG_SIGNATURE) for path in folder.glob("*.png"))
    # the report's means are the module's metrics (same run, same qrels): the module's evaluation_metrics
    means = csv_means(folder)
    system = Path(str(bi_encoder.config.name_or_path)).name
    for metric, value in metrics.items():
        assert means[(system, metric)] == pytest.approx(value)
    run = {}
    for line in callback.run_paths[0].read_text().splitlines():
        query_id, _, doc_id, _, score, _ = line.split()
        run.setdefault(query_id, {})[doc_id] = float(score)
    ndcg = ir_measures.parse_measure("nDCG@10")
    assert means[(system, "nDCG@10")] == pytest.approx(
        ir_measures.calc_aggregate([ndcg], read_qrels(collection), run)[ndcg]
    )


def test_re_rank_compares_with_a_baseline_run_and_uses_the_report_metrics(
    tmp_path: Path, tiny_bert_dir: Path, collection: Path
) -> None:
    module = BiEncoderModule(str(tiny_bert_dir), evaluation_metrics=["nDCG@10"])
    callback = ReRankCallback(
        save_dir=tmp_path / "runs",
        report_dir=tmp_path / "report",
        report_metrics=["RR@10", "R@2"],
        report_baseline=collection / "run.run",
    )
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    dataset = RunDataset(str(collection / "run.run"), dataset_id=str(collection))
    trainer.re_rank(
        module, datamodule=LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=4), verbose=False
    )
    folder = callback.report_paths[0]
    means = csv_means(folder)
    # the written run is named after the model, the baseline after its file
    system = Path(str(tiny_bert_dir)).name
    assert {name for name, _ in means} == {"run", system}
    assert {measure for _, measure in means} == {"RR@10", "R@2"}
    assert (folder / "differences-RR@10.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "(baseline)" in (folder / "report.md").read_text()


def test_several_datasets_get_one_report_folder_each(
    tmp_path: Path, bi_encoder: BiEncoderModule, index_dir: Path, collection: Path
) -> None:
    callback = SearchCallback(
        index_dir, TorchDenseSearchConfig(k=5), save_dir=tmp_path / "runs", report_dir=tmp_path / "reports"
    )
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    datasets = [QueryDataset(str(collection)), QueryDataset(str(collection), num_queries=4)]
    trainer.search(
        bi_encoder, datamodule=LightningIRDataModule(inference_datasets=datasets, inference_batch_size=4), verbose=False
    )
    assert callback.report_paths == {
        0: tmp_path / "reports" / callback.run_paths[0].stem,
        1: tmp_path / "reports" / callback.run_paths[1].stem,
    }
    assert all((folder / "report.md").is_file() for folder in callback.report_paths.values())
    assert "on 4 judged queries" in (callback.report_paths[1] / "report.md").read_text()


def test_a_foreign_report_dir_is_refused_before_any_work(
    tmp_path: Path, bi_encoder: BiEncoderModule, index_dir: Path, collection: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "data.txt").write_text("keep")
    callback = SearchCallback(index_dir, TorchDenseSearchConfig(k=5), save_dir=tmp_path / "runs", report_dir=folder)
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    data = LightningIRDataModule(inference_datasets=[QueryDataset(str(collection))], inference_batch_size=4)
    with pytest.raises(OverwriteRefusedError, match="experiment report folder"):
        trainer.search(bi_encoder, datamodule=data, verbose=False)
    assert not (tmp_path / "runs").exists()
    assert [path.name for path in folder.iterdir()] == ["data.txt"]


def test_bad_report_options_are_refused_when_given(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ReRankCallback: metrics: 'nDGC@10' is not an ir_measures measure"):
        ReRankCallback(report_dir=tmp_path, report_metrics=["nDGC@10"])
    with pytest.raises(FileNotFoundError, match=f"ReRankCallback: report_baseline {tmp_path / 'x.run'} does not exist"):
        ReRankCallback(report_dir=tmp_path, report_baseline=tmp_path / "x.run")
