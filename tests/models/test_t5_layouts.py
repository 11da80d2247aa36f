"""What is and is not recognised as a T5 re-ranker, and the errors that say why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lightning_ir import BiEncoderModule, CrossEncoderConfig, CrossEncoderModule, T5CrossEncoderConfig
from tests.models.test_t5 import save_encoder_only_rankt5, save_tiny_t5


@pytest.fixture(scope="module")
def monot5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_t5(tmp_path_factory.mktemp("t5-layouts") / "monot5")


def _edit_json(path: Path, **changes: object) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_encoder_decoder_checkpoint_is_refused_by_bi_encoders_and_the_plain_cross_encoder(monot5_dir: Path) -> None:
    with pytest.raises(ValueError, match="T5CrossEncoderConfig"):
        BiEncoderModule(str(monot5_dir))
    with pytest.raises(ValueError, match="encoder-decoder.*T5CrossEncoderConfig"):
        CrossEncoderModule(str(monot5_dir), config=CrossEncoderConfig())


def test_non_t5_backbone_is_refused(tiny_bert_dir: Path) -> None:
    with pytest.raises(ValueError, match="T5CrossEncoderModel: the backbone's model type 'bert' is not a T5 model"):
        CrossEncoderModule(str(tiny_bert_dir), config=T5CrossEncoderConfig())


def test_missing_scoring_token_names_the_token_and_the_option(monot5_dir: Path) -> None:
    with pytest.raises(ValueError, match="has no token '▁maybe' \\(true_token\\)"):
        CrossEncoderModule(str(monot5_dir), config=T5CrossEncoderConfig(true_token="▁maybe"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decoder_strategy": "duo"}, "decoder_strategy must be one of the allowed values 'mono', 'rank', None"),
        ({"pooling_strategy": "mean"}, "pooling_strategy and linear_bias belong to the encoder-only model"),
        ({"decoder_strategy": "rank", "linear_bias": True}, "belong to the encoder-only model"),
        ({"score_token": ""}, "score_token must be a non-empty vocabulary entry"),
    ],
)
def test_invalid_config_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        T5CrossEncoderConfig(**kwargs)  # type: ignore[arg-type]


def test_unknown_decoder_strategy_in_config_json_names_the_file(tmp_path: Path) -> None:
    path = save_tiny_t5(tmp_path / "t5", decoder_strategy="duo")
    with pytest.raises(ValueError, match="config.json: decoder_strategy 'duo'"):
        CrossEncoderModule(str(path))


def test_sentence_transformers_t5_with_an_activation_or_wider_dense_is_not_a_rankt5(tmp_path: Path) -> None:
    path = save_encoder_only_rankt5(tmp_path / "enc", "mean")
    dense_config = path / "2_Dense" / "config.json"
    for change in ({"activation_function": "torch.nn.modules.activation.Tanh"}, {"out_features": 8}):
        original = dense_config.read_text()
        _edit_json(dense_config, **change)
        with pytest.raises(ValueError, match="is not a cross-encoder layout.*RankT5 encoder-only"):
            CrossEncoderModule(str(path))
        dense_config.write_text(original)


def test_dense_head_without_the_configured_bias_names_the_weight_file(tmp_path: Path) -> None:
    path = save_encoder_only_rankt5(tmp_path / "enc", "mean")
    config = T5CrossEncoderConfig(decoder_strategy=None, linear_bias=False)
    with pytest.raises(ValueError, match="2_Dense/model.safetensors holds .*set linear_bias"):
        CrossEncoderModule(str(path), config=config)


def test_sentencepiece_only_tokenizer_without_its_packages_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_tiny_t5(tmp_path / "t5")
    (path / "tokenizer.json").unlink()
    (path / "spiece.model").write_bytes(b"\n")  # only its presence matters here
    monkeypatch.setattr("lightning_ir.models.t5.tokenizer.is_sentencepiece_available", lambda: False)
    with pytest.raises(ImportError, match=r"spiece.model, no tokenizer.json.*lightning-ir\[t5\]"):
        CrossEncoderModule(str(path))
