"""CPU dropout: same distribution as PyTorch's, the same attention, untouched evaluation, nothing saved changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.base.adapters import LoraAdapterConfig
from lightning_ir.base.cpu_dropout import (
    ATTENTION,
    PART,
    RESOLUTION,
    CPUDropout,
    cpu_attention,
    cpu_dropout,
    keep_mask,
    use_cpu_dropout,
)


class _Encoder(torch.nn.Module):
    """Stands in for a bidirectional attention module."""

    is_causal = False


def test_keeps_with_one_minus_p_and_keeps_the_mean() -> None:
    torch.manual_seed(0)
    inputs = torch.ones(1_000_000)
    output = cpu_dropout(inputs, 0.1)
    kept = output != 0
    assert abs(kept.float().mean().item() - 0.9) < 0.002
    threshold = round(0.1 * RESOLUTION)
    assert torch.allclose(output[kept], torch.full_like(output[kept], RESOLUTION / (RESOLUTION - threshold)))
    assert abs(output.mean().item() - 1.0) < 0.005
    assert inputs.eq(1).all()  # the input is not written to


def test_no_training_or_no_p_returns_the_input_and_the_rest_is_torch_dropout() -> None:
    inputs = torch.randn(4, 5)
    assert cpu_dropout(inputs, 0.3, training=False) is inputs
    assert cpu_dropout(inputs, 0.0) is inputs
    assert cpu_dropout(inputs, 1.0).eq(0).all()  # p = 1 is PyTorch's: all dropped
    torch.manual_seed(1)
    tiny = cpu_dropout(inputs, 1e-6)  # below 2^-15: PyTorch's dropout
    torch.manual_seed(1)
    assert torch.equal(tiny, torch.nn.functional.dropout(inputs, 1e-6))


def test_seeded_draws_repeat_and_gradients_follow_the_mask() -> None:
    inputs = torch.randn(64, 32, requires_grad=True)
    torch.manual_seed(3)
    first = cpu_dropout(inputs, 0.25)
    torch.manual_seed(3)
    assert torch.equal(first, cpu_dropout(inputs, 0.25))
    first.sum().backward()
    assert inputs.grad is not None
    scale = RESOLUTION / (RESOLUTION - round(0.25 * RESOLUTION))
    assert torch.equal(inputs.grad, (first != 0).float() * scale)


def test_the_layer_is_an_nn_dropout_with_p_and_identity_in_eval() -> None:
    layer = CPUDropout(0.2)
    assert isinstance(layer, torch.nn.Dropout)
    assert layer.p == 0.2
    inputs = torch.randn(8, 8)
    assert layer.eval()(inputs) is inputs


@pytest.mark.parametrize("mask_kind", ["none", "bool", "additive"])
def test_attention_is_softmax_attention_with_the_drawn_mask(mask_kind: str) -> None:
    torch.manual_seed(0)
    query, key, value = (torch.randn(2, 3, 5, 4) for _ in range(3))
    attends = torch.ones(2, 1, 5, 5, dtype=torch.bool)
    attends[1, :, :, 3:] = False
    mask = {"none": None, "bool": attends, "additive": torch.zeros(2, 1, 5, 5).masked_fill(~attends, -1e9)}[mask_kind]
    torch.manual_seed(7)
    output, weights = cpu_attention(_Encoder(), query, key, value, mask, dropout=0.2, scaling=0.5)
    assert weights is None
    assert output.shape == (2, 5, 3, 4)

    scores = query @ key.transpose(-1, -2) * 0.5
    if mask_kind != "none":
        scores = scores.masked_fill(~attends, float("-inf"))
    torch.manual_seed(7)
    threshold = round(0.2 * RESOLUTION)
    keep = torch.empty(2, 3, 5, 5, dtype=torch.int16).random_() >= threshold
    probabilities = torch.softmax(scores, -1) * keep * (RESOLUTION / (RESOLUTION - threshold))
    assert torch.allclose(output, (probabilities @ value).transpose(1, 2), atol=1e-6)


def test_attention_without_dropout_or_when_causal_is_sdpa_itself() -> None:
    torch.manual_seed(0)
    query, key, value = (torch.randn(1, 2, 4, 8) for _ in range(3))
    expected, _ = sdpa_attention_forward(_Encoder(), query, key, value, None, scaling=0.3)
    assert torch.equal(cpu_attention(_Encoder(), query, key, value, None, scaling=0.3)[0], expected)
    causal = torch.nn.Module()  # no is_causal attribute: sdpa's default is causal
    torch.manual_seed(2)
    expected, _ = sdpa_attention_forward(causal, query, key, value, None, dropout=0.5)
    torch.manual_seed(2)
    assert torch.equal(cpu_attention(causal, query, key, value, None, dropout=0.5)[0], expected)


def test_a_backbone_evaluates_identically_and_trains(tiny_bert_dir: Path, tmp_path: Path) -> None:
    reference, model = AutoModel.from_pretrained(tiny_bert_dir), AutoModel.from_pretrained(tiny_bert_dir)
    assert use_cpu_dropout(model) == 2 * 3 + 1 + 1  # 3 per layer, the embeddings', the attention
    assert use_cpu_dropout(model) == 0
    assert model.config._attn_implementation == ATTENTION
    inputs = {"input_ids": torch.tensor([[101, 2023, 2003, 102], [101, 2023, 102, 0]])}
    inputs["attention_mask"] = (inputs["input_ids"] != 0).long()
    reference.eval(), model.eval()
    with torch.no_grad():
        assert torch.equal(model(**inputs).last_hidden_state, reference(**inputs).last_hidden_state)
    model.train()
    model(**inputs).last_hidden_state.sum().backward()
    assert all(p.grad is not None for p in model.encoder.parameters())
    model.save_pretrained(tmp_path / "saved")
    saved = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert ATTENTION not in json.dumps(saved)


@pytest.mark.parametrize("module_class", [BiEncoderModule, CrossEncoderModule])
def test_fitting_on_cpu_uses_it_also_with_adapters(tiny_bert_dir: Path, module_class: type) -> None:
    module = module_class(str(tiny_bert_dir), adapter_config=LoraAdapterConfig(r=2, lora_alpha=4))
    module.on_fit_start()
    layers = [m for m in module.model.modules() if isinstance(m, torch.nn.Dropout)]
    assert layers
    assert all(isinstance(m, CPUDropout) for m in layers)
    assert module.model.backbone.config._attn_implementation == ATTENTION


def test_large_masks_are_drawn_in_parts_that_repeat_with_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)
    torch.manual_seed(5)
    first = keep_mask((8, PART), round(0.1 * RESOLUTION))
    torch.manual_seed(5)
    assert torch.equal(first, keep_mask((8, PART), round(0.1 * RESOLUTION)))
    parts = first.view(-1).chunk(4)
    assert not torch.equal(parts[0], parts[1])  # each part has its own generator
    for part in parts:
        assert abs(part.float().mean().item() - 0.9) < 0.005
