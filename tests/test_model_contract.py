"""One contract, run over every built-in model: round trips, Auto loading, shapes, gradients."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer

from lightning_ir import BiEncoderModule, CrossEncoderConfig, CrossEncoderModule, LightningIRModule
from lightning_ir.models import BUILTIN_MODELS

QUERIES = ["what do cats eat", "how tall is mount everest"]
DOCS = [
    ["Cats are carnivores and eat meat.", "The stock market fell today."],
    ["Mount Everest is 8,849 metres tall.", ""],
]


def _module(config_class: type, backbone: Path) -> LightningIRModule:
    torch.manual_seed(1)
    config = config_class(query_length=12, doc_length=24)
    if isinstance(config, CrossEncoderConfig):
        return CrossEncoderModule(str(backbone), config=config)
    return BiEncoderModule(str(backbone), config=config)


T5_MODEL_TYPES = {"t5-cross-encoder"}
"""Model types built on a tiny T5 (with a T5 tokenizer) instead of the tiny BERT."""


@pytest.fixture(scope="session")
def tiny_t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.models.test_t5 import save_tiny_t5

    return save_tiny_t5(tmp_path_factory.mktemp("tiny-t5") / "t5")


@pytest.fixture(params=[entry[0] for entry in BUILTIN_MODELS], ids=lambda c: c.model_type)
def module(request: pytest.FixtureRequest, tiny_bert_dir: Path) -> LightningIRModule:
    t5 = request.param.model_type in T5_MODEL_TYPES
    return _module(request.param, request.getfixturevalue("tiny_t5_dir") if t5 else tiny_bert_dir)


def test_scores_have_one_value_per_document(module: LightningIRModule) -> None:
    output = module.score(QUERIES, DOCS)
    assert output.scores.shape == (4,)
    assert torch.isfinite(output.scores).all()


def test_save_and_load_round_trip_gives_identical_scores(module: LightningIRModule, tmp_path: Path) -> None:
    expected = module.score(QUERIES, DOCS).scores
    module.save_pretrained(tmp_path)
    reloaded = type(module)(str(tmp_path))
    assert type(reloaded.model) is type(module.model)
    assert reloaded.config.to_added_args_dict() == module.config.to_added_args_dict()
    torch.testing.assert_close(reloaded.score(QUERIES, DOCS).scores, expected)


def test_auto_classes_restore_model_config_and_tokenizer(module: LightningIRModule, tmp_path: Path) -> None:
    expected = module.score(QUERIES, DOCS).scores
    module.save_pretrained(tmp_path)
    assert type(AutoConfig.from_pretrained(tmp_path)) is type(module.config)
    auto_model = AutoModel.from_pretrained(tmp_path)
    assert type(auto_model) is type(module.model)
    auto_tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert type(auto_tokenizer) is type(module.tokenizer)
    assert auto_tokenizer.tokenizer_args() == module.tokenizer.tokenizer_args()
    encodings = auto_tokenizer.tokenize(QUERIES, DOCS)
    for key, encoding in module.tokenizer.tokenize(QUERIES, DOCS).items():
        torch.testing.assert_close(encodings[key]["input_ids"], encoding["input_ids"])
    rebuilt = type(module)(model=auto_model)
    torch.testing.assert_close(rebuilt.score(QUERIES, DOCS).scores, expected)


def test_backward_pass_gives_finite_gradients(module: LightningIRModule) -> None:
    module.train()
    batch = type("Batch", (), {"queries": QUERIES, "docs": DOCS, "encodings": None})()
    output = module(batch)
    output.scores.sum().backward()
    grads = [p.grad for p in module.model.parameters() if p.grad is not None]
    assert grads, "no parameter received a gradient"
    assert all(torch.isfinite(g).all() for g in grads)


def test_inputs_are_truncated_to_the_configured_lengths(module: LightningIRModule) -> None:
    long_text = "word " * 200
    encodings = module.tokenizer.tokenize([long_text], [[long_text]])
    for key, encoding in encodings.items():
        limit = module.config.query_length if key == "query_encoding" else module.config.doc_length
        assert encoding["input_ids"].shape[1] <= limit
    assert torch.isfinite(module.score(long_text, [long_text, ""]).scores).all()
