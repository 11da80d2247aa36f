"""Training and validation logic of LightningIRModule: losses, NaN guard, LR schedulers, validation metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ir_measures
import pytest
import torch
from lightning import seed_everything

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.data import LightningIRDataModule, RunDataset, TrainBatch, TupleDataset
from lightning_ir.loss import InBatchCrossEntropy, L2Regularization, LossFunction, RankNet
from lightning_ir.schedulers import LinearLRSchedulerWithLinearWarmup
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_collection(tmp_path_factory.mktemp("collection"))


def _batch() -> TrainBatch:
    return TrainBatch(
        queries=["which fruit grows on trees", "salt water"],
        docs=[["apples grow on trees", "guitars have strings", "coffee beans"], ["the ocean", "rockets", "snow"]],
        query_ids=["q1", "q2"],
        doc_ids=[["a", "b", "c"], ["d", "e", "f"]],
        targets=torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
    )


class NaNLoss(LossFunction):
    """A loss that is NaN from the given call on."""

    def __init__(self, from_call: int = 0) -> None:
        self.from_call = from_call
        self.calls = 0

    def compute_loss(self, output, batch):  # type: ignore[no-untyped-def]
        self.calls += 1
        value = output.scores.mean()
        return value * float("nan") if self.calls > self.from_call else value


def test_compute_losses_gives_in_batch_losses_the_full_score_matrix(tiny_bert_dir: Path) -> None:
    in_batch = InBatchCrossEntropy(pos_sampling_technique="first", neg_sampling_technique="first")
    module = BiEncoderModule(str(tiny_bert_dir), loss_functions=[RankNet(), (in_batch, 0.5), L2Regularization()])
    batch = _batch()
    output = module(batch)
    losses = module.compute_losses(batch, output)
    assert list(losses) == ["RankNet", "InBatchCrossEntropy", "L2Regularization"]
    matrix = module.model.scoring_function.score_matrix(output.query_embeddings, output.doc_embeddings)
    assert matrix.shape == (2, 6)
    # the diagonal blocks of the matrix are each query's own scores
    torch.testing.assert_close(torch.cat([matrix[0, :3], matrix[1, 3:]]), output.scores)
    expected = in_batch.compute_loss(type(output)(scores=matrix), batch)
    torch.testing.assert_close(losses["InBatchCrossEntropy"], expected)
    torch.testing.assert_close(losses["RankNet"], RankNet().compute_loss(output, batch))


def test_cross_encoder_refuses_in_batch_and_regularisation_losses(tiny_bert_dir: Path) -> None:
    with pytest.raises(ValueError, match="InBatchCrossEntropy.*bi-encoder"):
        CrossEncoderModule(str(tiny_bert_dir), loss_functions=[InBatchCrossEntropy()])
    with pytest.raises(ValueError, match="L2Regularization.*bi-encoder"):
        CrossEncoderModule(str(tiny_bert_dir), loss_functions=[L2Regularization()])


def test_unknown_evaluation_metric_is_refused(tiny_bert_dir: Path) -> None:
    with pytest.raises(ValueError, match="nDCG@ten"):
        BiEncoderModule(str(tiny_bert_dir), evaluation_metrics=["nDCG@ten"])


def test_nan_loss_stops_training_naming_the_loss_and_keeps_weights(
    tiny_bert_dir: Path, collection: Path, tmp_path: Path
) -> None:
    module = CrossEncoderModule(str(tiny_bert_dir), loss_functions=[RankNet(), NaNLoss(from_call=2)])
    module.set_optimizer(torch.optim.AdamW, lr=1e-3)
    data = LightningIRDataModule(train_dataset=TupleDataset(str(collection)), train_batch_size=2)
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path, max_steps=5, enable_checkpointing=False))
    with pytest.raises(ValueError, match="loss NaNLoss is nan at global step 2"):
        trainer.fit(module, data)
    assert trainer.global_step == 2
    assert all(torch.isfinite(parameter).all() for parameter in module.parameters())


def test_lr_scheduler_gets_num_training_steps_from_max_steps(
    tiny_bert_dir: Path, collection: Path, tmp_path: Path
) -> None:
    module = CrossEncoderModule(str(tiny_bert_dir), loss_functions=[RankNet()])
    module.set_optimizer(torch.optim.SGD, lr=0.1)
    module.set_lr_scheduler(LinearLRSchedulerWithLinearWarmup, num_warmup_steps=1)
    data = LightningIRDataModule(train_dataset=TupleDataset(str(collection)), train_batch_size=2)
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path, max_steps=5, enable_checkpointing=False))
    trainer.fit(module, data)
    config = trainer.lr_scheduler_configs[0]
    assert config.interval == "step"
    scheduler: Any = config.scheduler
    assert scheduler.num_training_steps == 5
    # warmup to 0.1 after 1 step, then linear decay reaching 0 at step 5
    assert config.scheduler.get_last_lr() == [0.0]
    assert config.scheduler.last_epoch == 5


def test_validation_metrics_are_computed_over_the_whole_set(
    tiny_bert_dir: Path, collection: Path, tmp_path: Path
) -> None:
    seed_everything(0)
    names = ["nDCG@10", "RR", "loss"]
    module = BiEncoderModule(str(tiny_bert_dir), loss_functions=[RankNet()], evaluation_metrics=names)
    run_dataset = RunDataset(str(collection / "run.run"), dataset_id=str(collection))
    tuples = TupleDataset(str(collection))
    data = LightningIRDataModule(inference_batch_size=3, inference_datasets=[run_dataset, tuples])
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path))
    trainer.validate(module, data, verbose=False)
    metrics = trainer.callback_metrics

    # expected: score every run entry, evaluate the whole run once
    run: dict[str, dict[str, float]] = {}
    qrels = {}
    for sample in (run_dataset[i] for i in range(len(run_dataset))):
        scores = module.score(sample.query, list(sample.docs)).scores.tolist()
        run[sample.query_id] = dict(zip(sample.doc_ids, scores, strict=False))
        qrels[sample.query_id] = {q["doc_id"]: q["relevance"] for q in sample.qrels or []}
    expected = ir_measures.calc_aggregate([ir_measures.parse_measure("nDCG@10"), ir_measures.RR], qrels, run)
    assert metrics["run/nDCG@10"].item() == pytest.approx(expected[ir_measures.parse_measure("nDCG@10")], abs=1e-5)
    assert metrics["run/RR"].item() == pytest.approx(expected[ir_measures.RR], abs=1e-5)
    assert "run/loss" not in metrics  # the run has no targets

    # the tuple set has targets: its loss is the mean RankNet loss over its queries
    losses = []
    for sample in tuples:
        batch = TrainBatch(queries=[sample.query], docs=[list(sample.docs)], targets=sample.targets)
        with torch.no_grad():
            losses.append(RankNet().compute_loss(module(batch), batch).item())
    assert metrics[f"{collection.name}/loss"].item() == pytest.approx(sum(losses) / len(losses), abs=1e-5)
    assert f"{collection.name}/nDCG@10" in metrics

    # the bare names hold the mean over the validation sets (the ones that have the metric)
    mean = (metrics["run/nDCG@10"] + metrics[f"{collection.name}/nDCG@10"]) / 2
    assert metrics["nDCG@10"].item() == pytest.approx(mean.item(), abs=1e-6)
    assert metrics["loss"].item() == pytest.approx(metrics[f"{collection.name}/loss"].item(), abs=1e-6)


@pytest.mark.parametrize("num_sets", [1, 2])
def test_checkpointing_can_monitor_the_bare_metric_name(
    tiny_bert_dir: Path, collection: Path, tmp_path: Path, num_sets: int
) -> None:
    from lightning.pytorch.callbacks import ModelCheckpoint
    from torch.optim import AdamW

    module = BiEncoderModule(str(tiny_bert_dir), loss_functions=[RankNet()], evaluation_metrics=["nDCG@10"])
    module.set_optimizer(AdamW, lr=1e-4)
    runs = [RunDataset(str(collection / "run.run"), dataset_id=str(collection)) for _ in range(num_sets)]
    data = LightningIRDataModule(
        train_dataset=TupleDataset(str(collection)), train_batch_size=4, inference_batch_size=4, inference_datasets=runs
    )
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "checkpoints", monitor="nDCG@10", mode="max")
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path, max_steps=2, callbacks=[checkpoint]))
    trainer.fit(module, data)
    assert checkpoint.best_model_score is not None
    assert checkpoint.best_model_score.item() == pytest.approx(trainer.callback_metrics["nDCG@10"].item())
    assert Path(checkpoint.best_model_path).is_file()
