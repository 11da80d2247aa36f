"""Inference precision: chosen per hardware, overridable by the trainer's precision, scores stay in float32."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.callbacks import IndexCallback, SearchCallback
from lightning_ir.data import DocDataset, LightningIRDataModule, QueryDataset
from lightning_ir.precision import cpu_has_bf16, describe_cpu, float32_scoring, inference_precision
from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig
from lightning_ir.trainer import LightningIRTrainer
from tests.conftest import minilm_path, tiny_backbone_config
from tests.fixtures import quiet_trainer_kwargs, write_collection


def _pretend_bf16_cpu(monkeypatch: pytest.MonkeyPatch, supported: bool) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: supported)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)


def test_bf16_only_where_the_cpu_computes_in_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    assert torch.backends.cpu.get_cpu_capability() in describe_cpu()
    _pretend_bf16_cpu(monkeypatch, supported=False)
    assert not cpu_has_bf16()
    assert inference_precision("cpu") == "32-true"
    assert describe_cpu().endswith("no AVX512-BF16/AMX")
    _pretend_bf16_cpu(monkeypatch, supported=True)
    assert inference_precision("cpu") == "bf16-mixed"
    assert "AVX512-BF16" in describe_cpu()
    assert inference_precision("mps") == "32-true"


def test_this_machine_gets_float32_on_avx2() -> None:
    if torch.backends.cpu.get_cpu_capability() == "AVX2" and not cpu_has_bf16():
        assert inference_precision("cpu") == "32-true"


def test_float32_scoring_turns_autocast_off() -> None:
    a = torch.randn(4, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert (a @ a.T).dtype == torch.bfloat16
        with float32_scoring("cpu"):
            assert (a @ a.T).dtype == torch.float32


class AutocastSpy:
    """Wraps a module's ``inference_step`` and records whether autocast was on and what the scores' dtype was."""

    def __init__(self, module: Any) -> None:
        self.step = module.inference_step
        self.seen: list[tuple[bool, torch.dtype | None]] = []

    def __call__(self, batch: Any) -> Any:
        output = self.step(batch)
        scores = getattr(output, "scores", None)
        self.seen.append((torch.is_autocast_enabled("cpu"), None if scores is None else scores.dtype))
        return output


def _index_and_search(tmp_path: Path, module: BiEncoderModule, trainer: LightningIRTrainer) -> None:
    collection = write_collection(tmp_path / "collection")
    trainer.index(module, datamodule=_data(DocDataset(str(collection))))
    trainer.search(module, datamodule=_data(QueryDataset(str(collection))), verbose=False)


def _data(dataset: Any) -> LightningIRDataModule:
    return LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=4)


def test_stages_autocast_in_bf16_where_the_cpu_has_it(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _pretend_bf16_cpu(monkeypatch, supported=True)
    module = BiEncoderModule(str(tiny_bert_dir))
    spy = AutocastSpy(module)
    monkeypatch.setattr(module, "inference_step", spy)
    index = IndexCallback(tmp_path / "index", TorchDenseIndexConfig())
    search = SearchCallback(tmp_path / "index", TorchDenseSearchConfig(k=3), save_dir=tmp_path / "runs")
    trainer = LightningIRTrainer(callbacks=[index, search], **quiet_trainer_kwargs(tmp_path))
    assert not trainer.precision_given
    _index_and_search(tmp_path, module, trainer)
    assert "index: bf16-mixed precision (chosen for CPU" in capsys.readouterr().out
    assert spy.seen
    assert all(autocast for autocast, _ in spy.seen)
    assert {dtype for _, dtype in spy.seen if dtype is not None} == {torch.float32}  # search scores stay float32
    assert trainer.precision == "32-true"  # the stage's precision does not outlive the stage


def test_the_trainers_precision_overrides_the_choice(
    tmp_path: Path, tiny_bert_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _pretend_bf16_cpu(monkeypatch, supported=True)
    module = BiEncoderModule(str(tiny_bert_dir))
    spy = AutocastSpy(module)
    monkeypatch.setattr(module, "inference_step", spy)
    index = IndexCallback(tmp_path / "index", TorchDenseIndexConfig())
    search = SearchCallback(tmp_path / "index", TorchDenseSearchConfig(k=3), save_dir=tmp_path / "runs")
    trainer = LightningIRTrainer(callbacks=[index, search], precision="32-true", **quiet_trainer_kwargs(tmp_path))
    assert trainer.precision_given
    _index_and_search(tmp_path, module, trainer)
    assert "index: 32-true precision (as given)" in capsys.readouterr().out
    assert spy.seen
    assert not any(autocast for autocast, _ in spy.seen)


def test_cross_encoder_scores_stay_float32_under_autocast(tiny_bert_dir: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    classifier = AutoModelForSequenceClassification.from_config(tiny_backbone_config("bert", num_labels=1))
    classifier.save_pretrained(tmp_path / "classifier")
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(tmp_path / "classifier")
    docs = ["cats eat fish", "dogs bark at night", "the sun is hot", "cats sleep a lot"]
    for path in (tiny_bert_dir, tmp_path / "classifier"):
        module = CrossEncoderModule(str(path))
        reference = module.score("what do cats eat", docs).scores
        with torch.autocast("cpu", dtype=torch.bfloat16):
            scores = module.score("what do cats eat", docs).scores
        assert scores.dtype == torch.float32
        assert len(set(scores.tolist())) == len(docs)
        assert torch.allclose(scores, reference, atol=0.05)


def test_gpus_that_only_emulate_bfloat16_get_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    assert inference_precision("cuda") == "32-true"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert inference_precision("cuda") == "bf16-mixed"


def test_cross_encoder_in_bfloat16_weights_scores_in_float32(tiny_bert_dir: Path) -> None:
    module = CrossEncoderModule(str(tiny_bert_dir))
    module.model.to(torch.bfloat16)  # e.g. from_pretrained(..., dtype=torch.bfloat16) or precision="bf16-true"
    scores = module.score("what do cats eat", ["cats eat fish", "dogs bark at night"]).scores
    assert scores.dtype == torch.float32
    assert torch.isfinite(scores).all()
