"""Teacher scores: the written scores are the module's own, TupleDataset reads them as targets, distillation trains."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.data import LightningIRDataModule, TupleDataset
from lightning_ir.data.local_formats import read_doc_tuples
from lightning_ir.experiment import DenseStage, HardNegativeMiner, score_tuples, teacher_scores
from lightning_ir.experiment.training_tuples import MANIFEST
from lightning_ir.loss import KLDivergence, SupervisedMarginMSE
from lightning_ir.retrieve import TorchDenseSearchConfig
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_collection(tmp_path_factory.mktemp("teacher") / "collection")


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: pytest.TempPathFactory, tiny_bert_dir: Path) -> CrossEncoderModule:
    """A tiny cross-encoder, saved and loaded so that its head is fixed."""
    directory = tmp_path_factory.mktemp("cross-encoder")
    CrossEncoderModule(str(tiny_bert_dir)).save_pretrained(directory)
    return CrossEncoderModule(str(directory))


def test_teacher_scores_round_trip(tmp_path: Path, collection: Path, teacher: CrossEncoderModule) -> None:
    output = score_tuples(teacher, str(collection), tmp_path / "scored", batch_size=3)
    tuples = list(read_doc_tuples(output / "docpairs.jsonl"))
    samples = list(TupleDataset(str(output), targets="score").iter_all())
    assert len(tuples) == len(samples) == 8
    for item, sample in zip(tuples, samples, strict=True):
        expected = teacher.score(sample.query, sample.docs).scores.tolist()
        assert item.scores == pytest.approx(expected, abs=1e-6)
        assert sample.targets.tolist() == pytest.approx(expected, abs=1e-6)
        assert sample.doc_ids == list(item.doc_ids)
    manifest = json.loads((output / MANIFEST).read_text())
    assert manifest["teacher"]["module"] == "CrossEncoderModule"
    assert manifest["scored"] is True


def test_scores_do_not_depend_on_the_batch_size(collection: Path, teacher: CrossEncoderModule) -> None:
    samples = list(TupleDataset(str(collection)).iter_all())
    queries, docs = [s.query for s in samples], [s.docs for s in samples]
    one = teacher_scores(teacher, queries, docs, batch_size=1)
    many = teacher_scores(teacher, queries, docs, batch_size=8)
    for a, b in zip(one, many, strict=True):
        assert a == pytest.approx(b, abs=1e-5)


def test_scoring_replaces_a_mined_folder_in_place_and_keeps_its_run(
    tmp_path: Path, collection: Path, teacher: CrossEncoderModule
) -> None:
    mined = tmp_path / "mined"
    HardNegativeMiner(str(collection), mined, run=collection / "run.run", num_negatives=2, min_rank=1).run()
    before = [item.doc_ids for item in read_doc_tuples(mined / "docpairs.jsonl")]
    score_tuples(teacher, str(mined), mined)
    after = list(read_doc_tuples(mined / "docpairs.jsonl"))
    assert [item.doc_ids for item in after] == before
    assert all(item.scores is not None and len(item.scores) == 3 for item in after)
    manifest = json.loads((mined / MANIFEST).read_text())
    assert manifest["mining"]["num_negatives"] == 2
    assert manifest["source_dataset"] == str(collection)


def test_scoring_refuses_a_foreign_folder_before_scoring(tmp_path: Path, collection: Path) -> None:
    class Exploding(CrossEncoderModule):
        def score(self, *args: object, **kwargs: object) -> object:
            raise AssertionError("scored before the output was checked")

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.csv").write_text("1,2\n")
    with pytest.raises(OverwriteRefusedError):
        score_tuples(Exploding.__new__(Exploding), str(collection), foreign)
    assert (foreign / "data.csv").read_text() == "1,2\n"


def test_non_finite_teacher_scores_are_refused(collection: Path, teacher: CrossEncoderModule) -> None:
    class NaNTeacher:
        def eval(self) -> None:
            pass

        def score(self, queries: list[str], docs: list[list[str]]) -> object:
            total = sum(len(group) for group in docs)
            return type("Output", (), {"scores": torch.full((total,), math.nan)})()

    with pytest.raises(ValueError, match="tuple 1 .*not finite"):
        teacher_scores(NaNTeacher(), ["q"], [["a", "b"]])  # type: ignore[arg-type]


def test_a_teacher_giving_the_wrong_number_of_scores_is_refused() -> None:
    class ShortTeacher:
        def eval(self) -> None:
            pass

        def score(self, queries: list[str], docs: list[list[str]]) -> object:
            return type("Output", (), {"scores": torch.zeros(sum(len(group) for group in docs) - 1)})()

    with pytest.raises(ValueError, match="gave 2 scores for the 3 documents of tuples 1..2"):
        teacher_scores(ShortTeacher(), ["q", "r"], [["a"], ["b", "c"]])  # type: ignore[arg-type]


def test_miner_with_a_teacher_writes_scores_and_a_bi_encoder_distils_them(
    tmp_path: Path, collection: Path, teacher: CrossEncoderModule, tiny_bert_dir: Path
) -> None:
    """Mining with a dense first stage (the student itself) and a teacher; then one distillation step per loss."""
    student = BiEncoderModule(str(tiny_bert_dir))
    stage = DenseStage(student, tmp_path / "index", search_config=TorchDenseSearchConfig(k=16), batch_size=8)
    result = HardNegativeMiner(
        str(collection),
        tmp_path / "mined",
        first_stage=stage,
        num_negatives=3,
        min_rank=2,
        max_rank=16,
        teacher=teacher,
        trainer_kwargs={"accelerator": "cpu", "devices": 1},
    ).run()
    assert result.run.name == "dense.run"
    scored = list(read_doc_tuples(tmp_path / "mined" / "docpairs.jsonl"))
    assert len(scored) == 8
    assert all(item.scores is not None and len(item.scores) == 4 for item in scored)
    for loss in (KLDivergence(), SupervisedMarginMSE()):
        module = BiEncoderModule(str(tiny_bert_dir), loss_functions=[loss])
        module.set_optimizer(torch.optim.AdamW, lr=1e-4)
        data = LightningIRDataModule(
            train_dataset=TupleDataset(str(tmp_path / "mined"), targets="score"), train_batch_size=4
        )
        trainer = LightningIRTrainer(max_steps=1, **quiet_trainer_kwargs(tmp_path / "logs", enable_checkpointing=False))
        trainer.fit(module, data)
        assert trainer.global_step == 1
        assert math.isfinite(float(trainer.callback_metrics["loss"]))
