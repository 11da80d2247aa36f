"""glibc allocator tuning for CPU training: applied once, left alone when opted out, set by the user or not glibc."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest
import torch

from lightning_ir import BiEncoderModule, allocator
from lightning_ir.data import LightningIRDataModule, TupleDataset
from lightning_ir.loss import RankNet
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection

ON_GLIBC = sys.platform == "linux" and platform.libc_ver()[0] == "glibc"


@pytest.fixture
def fresh_allocator(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """A not-yet-tuned allocator module whose ``mallopt`` records its calls (and succeeds); no user settings."""
    calls: list[tuple[int, int]] = []

    def mallopt(parameter: int, value: int) -> int:
        calls.append((parameter, value))
        return 1

    monkeypatch.setattr(allocator, "_tuned", None)
    monkeypatch.setattr(allocator, "_glibc_mallopt", lambda: mallopt)
    for name in (allocator.OPT_OUT_VARIABLE, *allocator._USER_SETTINGS):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_thresholds_are_raised_once_per_process(fresh_allocator: list[tuple[int, int]]) -> None:
    assert allocator.skip_reason() is None
    assert allocator.tune_allocator_for_training()
    assert allocator.tune_allocator_for_training()
    threshold = allocator.THRESHOLD_BYTES
    assert fresh_allocator == [(allocator._M_MMAP_THRESHOLD, threshold), (allocator._M_TRIM_THRESHOLD, threshold)]


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("LIGHTNING_IR_TUNE_MALLOC", "0", "LIGHTNING_IR_TUNE_MALLOC is off"),
        ("LIGHTNING_IR_TUNE_MALLOC", "off", "LIGHTNING_IR_TUNE_MALLOC is off"),
        ("MALLOC_MMAP_THRESHOLD_", "65536", "MALLOC_MMAP_THRESHOLD_ is set"),
        ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0", "GLIBC_TUNABLES is set"),
        ("LD_PRELOAD", "/usr/lib/libjemalloc.so.2", "LD_PRELOAD is set"),
    ],
)
def test_opt_out_and_the_users_own_settings_leave_it_alone(
    fresh_allocator: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert allocator.skip_reason() == reason
    assert not allocator.tune_allocator_for_training()
    assert fresh_allocator == []


def test_other_systems_and_a_refused_setting_leave_it_untuned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_tuned", None)
    monkeypatch.delenv(allocator.OPT_OUT_VARIABLE, raising=False)
    for name in allocator._USER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator._glibc_mallopt() is None
    assert allocator.skip_reason() == "not glibc"
    assert not allocator.tune_allocator_for_training()
    monkeypatch.setattr(allocator, "_tuned", None)
    monkeypatch.setattr(allocator, "_glibc_mallopt", lambda: lambda parameter, value: 0)
    assert not allocator.tune_allocator_for_training()


@pytest.mark.skipif(not ON_GLIBC, reason="needs glibc")
def test_glibc_mallopt_is_found_here() -> None:
    assert allocator._glibc_mallopt() is not None


def test_fit_on_the_cpu_tunes_it_and_says_so(
    tmp_path: Path,
    tiny_bert_dir: Path,
    fresh_allocator: list[tuple[int, int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    collection = write_collection(tmp_path / "collection")
    module = BiEncoderModule(str(tiny_bert_dir), loss_functions=[RankNet()])
    module.set_optimizer(torch.optim.AdamW, lr=1e-4)
    data = LightningIRDataModule(train_dataset=TupleDataset(str(collection)), train_batch_size=4)
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path, enable_checkpointing=False, max_steps=1))
    trainer.fit(module, data)
    assert "fit: freed blocks up to 1024 MiB stay in the heap for reuse" in capsys.readouterr().out
    assert len(fresh_allocator) == 2
