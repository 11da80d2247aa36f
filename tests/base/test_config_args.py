"""Config arguments: ADDED_ARGS derived from the signatures, defaults in the signatures, YAML equals Python."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonargparse import ArgumentParser

from lightning_ir import (
    BiEncoderConfig,
    BiEncoderModule,
    ColConfig,
    CrossEncoderConfig,
    CrossEncoderModule,
    LightningIRConfig,
    SpladeConfig,
)
from lightning_ir.models.registry import BUILTIN_MODELS

BI_ENCODER_ARGS = {
    "query_length", "doc_length", "similarity_function", "query_expansion", "attend_to_query_expanded_tokens",
    "query_pooling_strategy", "query_mask_scoring_tokens", "query_aggregation_function", "doc_expansion",
    "attend_to_doc_expanded_tokens", "doc_pooling_strategy", "doc_mask_scoring_tokens", "normalize",
    "sparsification", "add_marker_tokens", "embedding_dim", "projection", "tie_encoders",
}  # fmt: skip
HAND_WRITTEN_ADDED_ARGS = {
    LightningIRConfig: {"query_length", "doc_length"},
    BiEncoderConfig: BI_ENCODER_ARGS,
    CrossEncoderConfig: {"query_length", "doc_length", "pooling_strategy", "linear_bias"},
    ColConfig: BI_ENCODER_ARGS | {"query_token", "doc_token"},
    SpladeConfig: BI_ENCODER_ARGS
    | {"logits_chunk_size", "static_query_weights", "freeze_query_weights", "max_active_dims"},
}
"""``ADDED_ARGS`` as the built-in configs spelled them out before they were derived."""

BUILTIN_CONFIGS = [BiEncoderConfig, CrossEncoderConfig, ColConfig, SpladeConfig]


@pytest.mark.parametrize("config_class", list(HAND_WRITTEN_ADDED_ARGS), ids=lambda c: c.__name__)
def test_derived_added_args_are_the_hand_written_ones(config_class: type[LightningIRConfig]) -> None:
    derived = config_class.ADDED_ARGS
    assert derived == HAND_WRITTEN_ADDED_ARGS[config_class]


def test_a_new_init_argument_is_saved_and_restored_without_listing_it(tmp_path: Path) -> None:
    class PrefixColConfig(ColConfig):
        model_type = "test-prefix-col"

        def __init__(self, prefix_length: int = 4, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.prefix_length = prefix_length

    derived = PrefixColConfig.ADDED_ARGS
    assert derived == ColConfig.ADDED_ARGS | {"prefix_length"}
    PrefixColConfig(prefix_length=9, embedding_dim=16).save_pretrained(tmp_path)
    loaded = PrefixColConfig.from_pretrained(tmp_path)
    assert (loaded.prefix_length, loaded.embedding_dim) == (9, 16)
    assert loaded.to_added_args_dict()["prefix_length"] == 9


def test_added_args_set_by_a_subclass_are_kept() -> None:
    class ExplicitConfig(BiEncoderConfig):  # as in the custom-model guide
        model_type = "test-explicit-bi-encoder"
        ADDED_ARGS = BiEncoderConfig.ADDED_ARGS.union({"additional_linear_layer"})

        def __init__(self, additional_linear_layer: bool = True, scratch: int = 0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.additional_linear_layer = additional_linear_layer

    kept = ExplicitConfig.ADDED_ARGS
    assert kept == BI_ENCODER_ARGS | {"additional_linear_layer"}


def test_a_subclass_without_init_runs_its_parents_init() -> None:
    class RenamedColConfig(ColConfig):
        model_type = "test-renamed-col"

    config = RenamedColConfig(embedding_dim=16)
    assert (config.embedding_dim, config.doc_pooling_strategy, config.normalize) == (16, None, True)
    assert RenamedColConfig.ADDED_ARGS == ColConfig.ADDED_ARGS
    with pytest.raises(ValueError, match="RenamedColConfig: similarity_function"):
        RenamedColConfig(similarity_function="l2")


@pytest.mark.parametrize(("config_class", "_", "tokenizer_class"), BUILTIN_MODELS, ids=lambda c: c.__name__)
def test_tokenizer_args_are_the_added_args_the_tokenizer_takes(config_class, _, tokenizer_class) -> None:
    tokenizer_parameters = set(inspect.signature(tokenizer_class.__init__).parameters)
    tokenizer_args = config_class.TOKENIZER_ARGS
    assert tokenizer_args == config_class.ADDED_ARGS & tokenizer_parameters


@pytest.mark.parametrize("config_class", BUILTIN_CONFIGS, ids=lambda c: c.__name__)
def test_every_default_is_in_the_signature(config_class: type[LightningIRConfig]) -> None:
    """Arguments a config does not list take the default of the parent that lists them; it must be the value."""
    config = config_class()
    for option in config_class.ADDED_ARGS:
        owner = next(c for c in config_class.__mro__ if option in inspect.signature(c.__init__).parameters)
        default = inspect.signature(owner.__init__).parameters[option].default
        assert getattr(config, option) == default, f"{config_class.__name__}.{option} is not its signature default"


@pytest.mark.parametrize("config_class", BUILTIN_CONFIGS, ids=lambda c: c.__name__)
def test_a_config_built_from_yaml_equals_the_one_built_in_python(config_class: type[LightningIRConfig]) -> None:
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--config", type=LightningIRConfig)
    parsed = parser.parse_string(f"config:\n  class_path: {config_class.__module__}.{config_class.__name__}\n")
    built = parser.instantiate(parsed).config
    assert type(built) is config_class
    assert built.to_dict() == config_class().to_dict()


@pytest.mark.parametrize(
    ("module_class", "config_class"),
    [(BiEncoderModule, ColConfig), (BiEncoderModule, SpladeConfig), (CrossEncoderModule, CrossEncoderConfig)],
    ids=lambda c: c.__name__,
)
def test_the_cli_builds_the_model_config_python_builds(
    tmp_path: Path, tiny_bert_dir: Path, module_class: type, config_class: type[LightningIRConfig]
) -> None:
    from lightning_ir.cli import LightningIRCLI

    init_args = {"model_name_or_path": str(tiny_bert_dir), "config": {"class_path": config_class.__name__}}
    spec = {
        "model": {"class_path": f"lightning_ir.{module_class.__name__}", "init_args": init_args},
        "trainer": {"logger": False, "default_root_dir": str(tmp_path), "enable_progress_bar": False},
    }
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(spec))
    cli = LightningIRCLI(run=False, datamodule_class=None, args=[f"--config={recipe}"])
    in_python = module_class(model_name_or_path=str(tiny_bert_dir), config=config_class())
    assert type(cli.model.config) is config_class
    assert cli.model.config.to_added_args_dict() == in_python.config.to_added_args_dict()
