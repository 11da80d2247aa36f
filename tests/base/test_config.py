from __future__ import annotations

import re

import numpy as np
import pytest
from transformers import AutoConfig, BertConfig

from lightning_ir import BiEncoderConfig, ColConfig, CrossEncoderConfig, LightningIRConfig, SpladeConfig


def test_backbone_attributes_are_readable_from_the_config() -> None:
    config = BiEncoderConfig(backbone_config=BertConfig(hidden_size=48, num_attention_heads=2))
    assert config.hidden_size == 48
    assert config.backbone_model_type == "bert"
    with pytest.raises(AttributeError):
        _ = config.not_an_attribute


def test_added_args_are_saved_and_restored(tmp_path) -> None:
    config = ColConfig(embedding_dim=64, query_length=16, backbone_config=BertConfig(hidden_size=32))
    config.save_pretrained(tmp_path)
    loaded = AutoConfig.from_pretrained(tmp_path)
    assert type(loaded) is ColConfig
    assert loaded.to_added_args_dict() == config.to_added_args_dict()
    assert loaded.embedding_dim == 64
    assert loaded.query_length == 16
    assert isinstance(loaded.backbone_config, BertConfig)
    assert loaded.hidden_size == 32


def test_tokenizer_dict_holds_the_tokenizer_args() -> None:
    config = BiEncoderConfig(query_expansion=True, query_length=8)
    assert config.to_tokenizer_dict()["query_expansion"] is True
    assert config.to_tokenizer_dict()["query_length"] == 8
    assert set(config.to_tokenizer_dict()) == BiEncoderConfig.TOKENIZER_ARGS


@pytest.mark.parametrize(
    ("factory", "option", "value"),
    [
        (BiEncoderConfig, "query_pooling_strategy", "median"),
        (BiEncoderConfig, "doc_pooling_strategy", "median"),
        (BiEncoderConfig, "similarity_function", "l2"),
        (BiEncoderConfig, "query_aggregation_function", "median"),
        (BiEncoderConfig, "projection", "mlp"),
        (BiEncoderConfig, "sparsification", "softplus"),
        (BiEncoderConfig, "doc_mask_scoring_tokens", "commas"),
        (CrossEncoderConfig, "pooling_strategy", "median"),
    ],
)
def test_unknown_option_values_name_the_option_and_allowed_values(factory, option, value) -> None:
    with pytest.raises(ValueError, match=option) as error:
        factory(**{option: value})
    assert repr(value) in str(error.value)
    assert "allowed values" in str(error.value)


def test_model_zoo_defaults() -> None:
    col = ColConfig()
    assert (col.query_expansion, col.doc_mask_scoring_tokens, col.embedding_dim, col.projection) == (
        True,
        "punctuation",
        128,
        "linear_no_bias",
    )
    assert col.doc_pooling_strategy is None
    splade = SpladeConfig()
    assert (splade.query_pooling_strategy, splade.projection, splade.sparsification) == ("max", "mlm", "relu_log")
    assert LightningIRConfig().query_length == 32
    assert LightningIRConfig().doc_length == 512


@pytest.mark.parametrize("factory", [LightningIRConfig, BiEncoderConfig, CrossEncoderConfig, ColConfig, SpladeConfig])
@pytest.mark.parametrize("option", ["query_length", "doc_length"])
@pytest.mark.parametrize("value", [0, -8, 12.5, "32", True, None])
def test_lengths_must_be_positive_integers(factory, option, value) -> None:
    with pytest.raises(
        ValueError,
        match=rf"{factory.__name__}: {option}={re.escape(repr(value))} is not supported; "
        "it must be a positive integer$",
    ):
        factory(**{option: value})


@pytest.mark.parametrize("factory", [BiEncoderConfig, ColConfig])
@pytest.mark.parametrize("value", [0, -3, 2.5, "8", False])
def test_embedding_dim_must_be_a_positive_integer_or_none(factory, value) -> None:
    with pytest.raises(
        ValueError,
        match=rf"embedding_dim={re.escape(repr(value))} is not supported; it must be a "
        r"positive integer or None \(the backbone's hidden size",
    ):
        factory(embedding_dim=value)
    assert factory(embedding_dim=None).embedding_dim is None
    assert factory(embedding_dim=np.int64(16)).embedding_dim == 16


def test_config_values_are_checked_when_built_from_yaml() -> None:
    from jsonargparse import ArgumentParser

    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--config", type=BiEncoderConfig)
    for key, value in (("doc_length", 0), ("embedding_dim", -3)):
        parsed = parser.parse_string(
            f"config:\n  class_path: lightning_ir.BiEncoderConfig\n  init_args:\n    {key}: {value}\n"
        )
        instantiate = getattr(parser, "instantiate", None) or parser.instantiate_classes
        with pytest.raises(ValueError, match=rf"BiEncoderConfig: {key}={value} is not supported"):
            instantiate(parsed)
