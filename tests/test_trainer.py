"""LightningIRTrainer: Hugging Face checkpoints, exact resumption, and fitting tiny models to a tuple set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from lightning import Callback, seed_everything
from lightning.pytorch.callbacks import ModelCheckpoint
from transformers import AutoModel

from lightning_ir import BiEncoderModel, BiEncoderModule, CrossEncoderModel, CrossEncoderModule
from lightning_ir.data import LightningIRDataModule, TupleDataset
from lightning_ir.loss import InBatchCrossEntropy, RankNet
from lightning_ir.trainer import HUGGINGFACE_CHECKPOINT_DIR, LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection

QUERIES = ["which fruit grows on orchard trees", "large body of salt water"]
DOCS = [["apples grow on trees", "a guitar has strings"], ["the ocean is salty", "coffee is hot"]]


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_collection(tmp_path_factory.mktemp("collection"))


class LossRecorder(Callback):
    """Records the training loss of every step; stops once the mean of the last 3 is at most half the first."""

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.losses.append(float(outputs["loss"]))
        if len(self.losses) >= 3 and sum(self.losses[-3:]) / 3 <= 0.5 * self.losses[0]:
            trainer.should_stop = True


def _data(collection: Path, batch_size: int = 2) -> LightningIRDataModule:
    return LightningIRDataModule(train_dataset=TupleDataset(str(collection)), train_batch_size=batch_size)


@pytest.mark.parametrize("module_class", [BiEncoderModule, CrossEncoderModule])
def test_checkpoints_are_also_written_in_huggingface_format(
    module_class: type, tiny_bert_dir: Path, collection: Path, tmp_path: Path
) -> None:
    seed_everything(0)
    module = module_class(str(tiny_bert_dir), loss_functions=[RankNet()])
    module.set_optimizer(torch.optim.AdamW, lr=1e-3)
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpts", every_n_train_steps=2, save_top_k=-1)
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path, max_steps=4, callbacks=[checkpoint]))
    trainer.fit(module, _data(collection))

    hf_dir = tmp_path / "ckpts" / HUGGINGFACE_CHECKPOINT_DIR
    assert {"config.json", "model.safetensors", "tokenizer_config.json"} <= {p.name for p in hf_dir.iterdir()}
    assert not [p for p in hf_dir.parent.iterdir() if p.name.startswith(".")]  # no temporary folders left
    # checkpoints at steps 2 and 4; the HF folder holds the model of the most recent one, the final model
    assert sorted(p.name for p in hf_dir.parent.glob("*.ckpt")) == ["epoch=0-step=2.ckpt", "epoch=0-step=4.ckpt"]
    reloaded = module_class(str(hf_dir))
    module.eval()
    expected = module.score(QUERIES, DOCS).scores
    torch.testing.assert_close(reloaded.score(QUERIES, DOCS).scores, expected)
    auto = AutoModel.from_pretrained(hf_dir)
    assert isinstance(auto, BiEncoderModel if module_class is BiEncoderModule else CrossEncoderModel)
    for name, tensor in module.model.state_dict().items():
        torch.testing.assert_close(auto.state_dict()[name], tensor, msg=name)


def _resume_run(tiny_bert_dir: Path, collection: Path, root: Path, max_epochs: int, ckpt_path: Path | None = None):
    seed_everything(7)
    module = BiEncoderModule(
        str(tiny_bert_dir),
        loss_functions=[RankNet(), (InBatchCrossEntropy(max_num_neg_samples=3), 0.5)],  # random negative sampling
    )
    module.set_optimizer(torch.optim.AdamW, lr=1e-3)
    checkpoint = ModelCheckpoint(dirpath=root, save_last=True)
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(root, max_epochs=max_epochs, callbacks=[checkpoint]))
    trainer.fit(module, _data(collection), ckpt_path=ckpt_path)
    return module, trainer


def test_resuming_from_a_checkpoint_continues_exactly(tiny_bert_dir: Path, collection: Path, tmp_path: Path) -> None:
    # dropout is active (BERT's 0.1) and the in-batch loss samples negatives at random: the RNG states must resume
    full, full_trainer = _resume_run(tiny_bert_dir, collection, tmp_path / "full", max_epochs=2)
    _resume_run(tiny_bert_dir, collection, tmp_path / "part", max_epochs=1)
    resumed, resumed_trainer = _resume_run(
        tiny_bert_dir, collection, tmp_path / "resumed", max_epochs=2, ckpt_path=tmp_path / "part" / "last.ckpt"
    )
    assert full_trainer.global_step == resumed_trainer.global_step == 8
    first = full.state_dict()
    for name, tensor in resumed.state_dict().items():
        assert torch.equal(tensor, first[name]), name
    start = BiEncoderModule(str(tiny_bert_dir)).state_dict()
    assert not torch.equal(start["model.projection.weight"], first["model.projection.weight"])  # it did train


@pytest.mark.parametrize("module_class", [BiEncoderModule, CrossEncoderModule])
def test_tiny_models_overfit_a_small_tuple_set(
    module_class: type, tiny_bert_dir: Path, collection: Path, tmp_path: Path
) -> None:
    seed_everything(0)
    module = module_class(str(tiny_bert_dir), loss_functions=[RankNet()])
    module.set_optimizer(torch.optim.AdamW, lr=3e-3)
    recorder = LossRecorder()
    trainer = LightningIRTrainer(
        **quiet_trainer_kwargs(tmp_path, max_steps=50, enable_checkpointing=False, callbacks=[recorder])
    )
    trainer.fit(module, _data(collection, batch_size=8))
    # within 50 steps the training loss (mean of 3 consecutive steps) fell to at most half its first value
    assert len(recorder.losses) <= 50
    assert sum(recorder.losses[-3:]) / 3 <= 0.5 * recorder.losses[0], recorder.losses
