"""Training precision: ``fit`` picks bf16 autocast where the hardware computes in bf16, prints it, keeps a given one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from lightning import Callback

from lightning_ir import BiEncoderModule
from lightning_ir.data import LightningIRDataModule, TupleDataset
from lightning_ir.loss import RankNet
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection


class AutocastSeen(Callback):
    """Records whether CPU autocast was on in each training forward pass and the trainer's precision then."""

    def __init__(self) -> None:
        self.seen: list[tuple[bool, str]] = []
        self.autocast = False

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.seen.append((self.autocast, str(trainer.precision)))


def _fit(tmp_path: Path, tiny_bert_dir: Path, **trainer_kwargs: Any) -> tuple[LightningIRTrainer, AutocastSeen]:
    collection = write_collection(tmp_path / "collection")
    module = BiEncoderModule(str(tiny_bert_dir), loss_functions=[RankNet()])
    module.set_optimizer(torch.optim.AdamW, lr=1e-4)
    spy = AutocastSeen()
    original_forward = module.forward

    def forward(batch: Any) -> Any:
        spy.autocast = torch.is_autocast_enabled("cpu")
        return original_forward(batch)

    module.forward = forward  # type: ignore[method-assign]
    data = LightningIRDataModule(train_dataset=TupleDataset(str(collection)), train_batch_size=4)
    kwargs = quiet_trainer_kwargs(tmp_path, enable_checkpointing=False, max_steps=2, callbacks=[spy], **trainer_kwargs)
    trainer = LightningIRTrainer(**kwargs)
    trainer.fit(module, data)
    return trainer, spy


def test_fit_trains_in_bf16_where_the_cpu_has_it(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    trainer, spy = _fit(tmp_path, tiny_bert_dir)
    assert "fit: bf16-mixed precision (chosen for CPU" in capsys.readouterr().out
    assert spy.seen == [(True, "bf16-mixed")] * 2
    assert trainer.precision == "32-true"  # the choice does not outlive fit


def test_fit_keeps_float32_without_bf16_and_a_given_precision(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    _, spy = _fit(tmp_path / "a", tiny_bert_dir)
    assert "fit: 32-true precision (chosen for CPU" in capsys.readouterr().out
    assert spy.seen == [(False, "32-true")] * 2
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    _, spy = _fit(tmp_path / "b", tiny_bert_dir, precision="32-true")
    assert "fit: 32-true precision (as given)" in capsys.readouterr().out
    assert spy.seen == [(False, "32-true")] * 2
