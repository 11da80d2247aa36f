"""LoRA adapters: only adapter weights train, they save beside the base model, and merging keeps the scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.base.adapters import ADAPTER_DIR, LoraAdapterConfig, has_adapter, trainable_parameters
from lightning_ir.data.batches import TrainBatch
from lightning_ir.loss import RankNet

DOCS = ["a cat eats fish", "stocks fell sharply", "cats sleep a lot"]
pytestmark = pytest.mark.filterwarnings("ignore:You are trying to `self.log\\(\\)`")


def _train_step(module: BiEncoderModule | CrossEncoderModule) -> None:
    """One optimiser step on a two-document batch (changes the trainable weights)."""
    batch = TrainBatch(queries=["cats"], docs=[DOCS[:2]], targets=torch.tensor([1.0, 0.0]))
    optimizer = torch.optim.SGD([p for p in module.parameters() if p.requires_grad], lr=0.5)
    module.train()
    loss = module.training_step(batch, 0)
    loss.backward()
    optimizer.step()
    module.eval()


@pytest.mark.parametrize("module_class", [BiEncoderModule, CrossEncoderModule])
def test_only_adapter_and_heads_train(tiny_bert_dir: Path, module_class: type) -> None:
    module = module_class(
        str(tiny_bert_dir), loss_functions=[RankNet()], adapter_config=LoraAdapterConfig(r=2, lora_alpha=4)
    )
    trainable = {name for name, parameter in module.model.named_parameters() if parameter.requires_grad}
    assert trainable
    assert all("lora_" in name or not name.startswith("backbone.") for name in trainable)
    before = {name: value.clone() for name, value in module.model.state_dict().items()}
    _train_step(module)
    after = module.model.state_dict()
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed
    assert all("lora_" in name or not name.startswith("backbone.") for name in changed)
    count, total = trainable_parameters(module.model)
    assert 0 < count < total


def _adapted_layers(module: BiEncoderModule) -> set[str]:
    """The backbone's linear layers that hold a LoRA update."""
    return {name.split(".lora_A.")[0] for name, _ in module.model.backbone.named_parameters() if ".lora_A." in name}


def test_adapters_go_on_every_linear_layer_unless_targets_are_named(tiny_bert_dir: Path) -> None:
    plain = BiEncoderModule(str(tiny_bert_dir)).model.backbone
    linear = {name for name, layer in plain.named_modules() if isinstance(layer, torch.nn.Linear)}
    every = BiEncoderModule(str(tiny_bert_dir), adapter_config=LoraAdapterConfig(r=2))
    assert _adapted_layers(every) == linear
    assert {name.rsplit(".", 1)[-1] for name in linear} == {"query", "key", "value", "dense"}
    named = BiEncoderModule(str(tiny_bert_dir), adapter_config=LoraAdapterConfig(r=2, target_modules=["query"]))
    assert _adapted_layers(named)
    assert all(name.endswith(".query") for name in _adapted_layers(named))
    peft_default = BiEncoderModule(str(tiny_bert_dir), adapter_config=LoraAdapterConfig(r=2, target_modules=None))
    assert {name.rsplit(".", 1)[-1] for name in _adapted_layers(peft_default)} == {"query", "value"}


def test_frozen_heads_option(tiny_bert_dir: Path) -> None:
    module = BiEncoderModule(str(tiny_bert_dir), adapter_config=LoraAdapterConfig(r=2, train_heads=False))
    trainable = [name for name, parameter in module.model.named_parameters() if parameter.requires_grad]
    assert trainable
    assert all("lora_" in name for name in trainable)


def test_bias_option_trains_the_backbone_biases(tiny_bert_dir: Path) -> None:
    module = BiEncoderModule(str(tiny_bert_dir), adapter_config=LoraAdapterConfig(r=2, bias="all"))
    trainable = {name for name, parameter in module.model.named_parameters() if parameter.requires_grad}
    assert any(name.startswith("backbone.") and name.endswith(".bias") and "lora_" not in name for name in trainable)
    assert not any(name.endswith(".weight") and "lora_" not in name for name in trainable if "backbone." in name)


def test_weights_frozen_before_the_adapter_stay_frozen_through_the_merge(tiny_bert_dir: Path) -> None:
    plain = BiEncoderModule(str(tiny_bert_dir))
    head = next(name for name, _ in plain.model.named_parameters() if not name.startswith("backbone."))
    model = type(plain.model).from_pretrained(str(tiny_bert_dir))
    model.get_parameter(head).requires_grad_(False)  # like SPLADE's frozen query weights
    module = BiEncoderModule(str(tiny_bert_dir), model=model, adapter_config=LoraAdapterConfig(r=2))
    assert not module.model.get_parameter(head).requires_grad
    module.merge_adapter()
    assert not module.model.get_parameter(head).requires_grad
    assert all(p.requires_grad for name, p in module.model.named_parameters() if name != head)


@pytest.mark.parametrize("module_class", [BiEncoderModule, CrossEncoderModule])
def test_adapter_saves_beside_base_and_merges(tiny_bert_dir: Path, tmp_path: Path, module_class: type) -> None:
    base = module_class(str(tiny_bert_dir))
    module = module_class(str(tiny_bert_dir), loss_functions=[RankNet()], adapter_config=LoraAdapterConfig(r=2))
    _train_step(module)
    expected = module.score("cats", DOCS).scores
    assert not torch.allclose(expected, base.score("cats", DOCS).scores)

    module.save_pretrained(tmp_path / "saved")
    saved = tmp_path / "saved"
    assert json.loads((saved / ADAPTER_DIR / "adapter_config.json").read_text())["r"] == 2
    base_weights = load_file(str(saved / "model.safetensors"))
    assert not any("lora_" in key or "base_layer" in key for key in base_weights)
    backbone_key = next(key for key in base_weights if key.endswith("attention.self.query.weight"))
    torch.testing.assert_close(base_weights[backbone_key], base.model.state_dict()[backbone_key])

    loaded = module_class(str(saved))
    assert has_adapter(loaded.model)
    torch.testing.assert_close(loaded.score("cats", DOCS).scores, expected)

    loaded.merge_adapter()
    assert not has_adapter(loaded.model)
    assert all(parameter.requires_grad for parameter in loaded.model.parameters())
    torch.testing.assert_close(loaded.score("cats", DOCS).scores, expected, atol=1e-5, rtol=1e-5)
    loaded.save_pretrained(tmp_path / "merged")
    assert not (tmp_path / "merged" / ADAPTER_DIR).exists()
    merged = module_class(str(tmp_path / "merged"))
    torch.testing.assert_close(merged.score("cats", DOCS).scores, expected, atol=1e-5, rtol=1e-5)


def test_bad_adapter_settings_are_refused(tiny_bert_dir: Path) -> None:
    with pytest.raises(ValueError, match="r"):
        LoraAdapterConfig(r=0)
    with pytest.raises(ValueError, match="lora_dropout"):
        LoraAdapterConfig(lora_dropout=1.5)
    with pytest.raises(ValueError, match="target_modules must be one of the allowed values 'all-linear'"):
        LoraAdapterConfig(target_modules="query")  # type: ignore[arg-type]
    module = BiEncoderModule(str(tiny_bert_dir))
    with pytest.raises(ValueError, match="no LoRA adapter"):
        module.merge_adapter()


def test_untied_encoders_refuse_adapters(tiny_bert_dir: Path) -> None:
    from lightning_ir import BiEncoderConfig

    with pytest.raises(ValueError, match="untied"):
        BiEncoderModule(
            str(tiny_bert_dir), config=BiEncoderConfig(tie_encoders=False), adapter_config=LoraAdapterConfig()
        )


def test_adapter_warns_that_new_marker_tokens_do_not_train(tiny_bert_dir: Path) -> None:
    from lightning_ir import BiEncoderConfig

    config = BiEncoderConfig(add_marker_tokens=True)
    with pytest.warns(UserWarning, match=r"the 2 tokens added to the vocabulary .* do not train under a LoRA adapter"):
        BiEncoderModule(str(tiny_bert_dir), config=config, adapter_config=LoraAdapterConfig(r=2))
