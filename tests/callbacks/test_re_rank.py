"""ReRankCallback / RankCallback: re-ranked runs hold the module's scores, file names, metrics, bad runs."""

from __future__ import annotations

from pathlib import Path

import ir_measures
import pytest
import torch

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.callbacks import RankCallback, ReRankCallback
from lightning_ir.data import LightningIRDataModule, RunDataset
from lightning_ir.trainer import LightningIRTrainer
from tests.callbacks.conftest import METRICS, read_qrels, read_run_file, read_tsv
from tests.fixtures import quiet_trainer_kwargs


def run_data(run: Path, collection: Path, batch_size: int = 3) -> LightningIRDataModule:
    dataset = RunDataset(str(run), dataset_id=str(collection))
    return LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=batch_size)


def read_input_run(path: Path) -> dict[str, list[str]]:
    run: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        run.setdefault(line.split()[0], []).append(line.split()[2])
    return run


@pytest.mark.parametrize("module_type", [BiEncoderModule, CrossEncoderModule])
def test_re_ranked_run_holds_the_module_scores_in_descending_order(
    tmp_path: Path, tiny_bert_dir: Path, collection: Path, module_type: type
) -> None:
    module = module_type(str(tiny_bert_dir), evaluation_metrics=METRICS)
    callback = ReRankCallback(save_dir=tmp_path / "out")
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    (metrics,) = trainer.re_rank(module, datamodule=run_data(collection / "run.run", collection), verbose=False)
    assert callback.run_paths[0] == tmp_path / "out" / "run.run"
    written = read_run_file(callback.run_paths[0])
    queries, docs = read_tsv(collection / "queries.tsv"), read_tsv(collection / "docs.tsv")
    for query_id, doc_ids in read_input_run(collection / "run.run").items():
        expected = module.score(queries[query_id], [docs[doc_id] for doc_id in doc_ids]).scores
        by_doc = {doc_id: float(score) for doc_id, score in zip(doc_ids, expected, strict=True)}
        ranking = written[query_id]
        assert sorted(doc_id for doc_id, *_ in ranking) == sorted(doc_ids)
        assert [rank for _, rank, *_ in ranking] == list(range(1, len(doc_ids) + 1))
        scores = [score for _, _, score, _ in ranking]
        assert scores == sorted(scores, reverse=True)
        torch.testing.assert_close(
            torch.tensor(scores), torch.tensor([by_doc[d] for d, *_ in ranking]), atol=1e-4, rtol=1e-4
        )
    run = {qid: {doc_id: score for doc_id, _, score, _ in ranking} for qid, ranking in written.items()}
    measures = [ir_measures.parse_measure(metric) for metric in METRICS]
    expected_metrics = ir_measures.calc_aggregate(measures, read_qrels(collection), run)
    expected_values = {metric: expected_metrics[measure] for metric, measure in zip(METRICS, measures, strict=True)}
    assert metrics == pytest.approx(expected_values)


def test_re_rank_writes_a_default_run_and_names_runs(
    tmp_path: Path, tiny_bert_dir: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    BiEncoderModule(str(tiny_bert_dir)).save_pretrained(tmp_path / "model")  # the default is <model dir>/runs
    module = BiEncoderModule(str(tmp_path / "model"))
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path))
    trainer.re_rank(module, datamodule=run_data(collection / "run.run", collection), verbose=False)
    assert len(read_run_file(tmp_path / "model" / "runs" / "run.run")) == 8
    assert trainer.callbacks == [cb for cb in trainer.callbacks if not isinstance(cb, RankCallback)]

    two = LightningIRDataModule(
        inference_datasets=[
            RunDataset(str(collection / "run.run"), dataset_id=str(collection), depth=depth) for depth in (2, 3)
        ],
        inference_batch_size=4,
    )
    callback = RankCallback(save_dir=tmp_path / "named", run_name="mine.txt")
    LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path)).re_rank(
        bi_encoder, datamodule=two, verbose=False
    )
    assert callback.run_paths == {0: tmp_path / "named" / "mine_0.txt", 1: tmp_path / "named" / "mine_1.txt"}
    assert {len(r) for r in read_run_file(callback.run_paths[0]).values()} == {2}
    assert {len(r) for r in read_run_file(callback.run_paths[1]).values()} == {3}


def test_re_rank_refuses_to_overwrite_its_input(tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path) -> None:
    run = tmp_path / "run.run"
    run.write_text((collection / "run.run").read_text())
    trainer = LightningIRTrainer(callbacks=[ReRankCallback(save_dir=tmp_path)], **quiet_trainer_kwargs(tmp_path))
    with pytest.raises(ValueError, match="is the run being re-ranked"):
        trainer.re_rank(bi_encoder, datamodule=run_data(run, collection))
    assert run.read_text() == (collection / "run.run").read_text()


def test_run_naming_unknown_documents_is_a_clear_error(
    tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path
) -> None:
    run = tmp_path / "bad.run"
    run.write_text("q-apple Q0 d-apple 1 2.0 bm25\nq-apple Q0 d-nowhere 2 1.0 bm25\n")
    callback = ReRankCallback(save_dir=tmp_path / "out")
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    with pytest.raises(ValueError, match="names document 'd-nowhere', which is not in the collection"):
        trainer.re_rank(bi_encoder, datamodule=run_data(run, collection))
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="run_name"):
        ReRankCallback(run_name="a/b")
