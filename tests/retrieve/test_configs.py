"""Index and search configs: dataclass signatures, checks, repr/eq, to_dict and building from YAML."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest
from jsonargparse import ArgumentParser

from lightning_ir.retrieve import (
    FaissFlatIndexConfig,
    FaissIVFIndexConfig,
    FaissIVFPQIndexConfig,
    FaissSearchConfig,
    IndexConfig,
    SearchConfig,
    SparseIndexConfig,
    SparseSearchConfig,
    TorchDenseIndexConfig,
    TorchDenseSearchConfig,
)

SIGNATURES = {
    SearchConfig: {"k": 10},
    TorchDenseSearchConfig: {"k": 10, "in_memory": True},
    SparseSearchConfig: {"k": 10, "in_memory": True},
    FaissSearchConfig: {"k": 10, "candidate_k": 100, "imputation_strategy": None, "n_probe": 1, "ef_search": 16},
    TorchDenseIndexConfig: {"precision": "float32"},
    SparseIndexConfig: {},
    FaissFlatIndexConfig: {},
    FaissIVFIndexConfig: {"num_train_embeddings": None, "num_centroids": 262144, "ef_construction": 40},
    FaissIVFPQIndexConfig: {
        "num_train_embeddings": None, "num_centroids": 262144, "ef_construction": 40, "num_subquantizers": 16,
        "n_bits": 8,
    },
}  # fmt: skip


@pytest.mark.parametrize("config_class", list(SIGNATURES), ids=lambda c: c.__name__)
def test_signature_defaults_repr_eq_and_to_dict(config_class: type) -> None:
    parameters = inspect.signature(config_class).parameters
    assert {name: p.default for name, p in parameters.items()} == SIGNATURES[config_class]
    assert list(parameters) == list(SIGNATURES[config_class])  # positional order kept
    config = config_class()
    assert dataclasses.is_dataclass(config)
    assert config.to_dict() == {"class": config_class.__name__, **SIGNATURES[config_class]}
    assert config == config_class()
    assert config != object()
    params = ", ".join(f"{key}={value!r}" for key, value in SIGNATURES[config_class].items())
    assert repr(config) == f"{config_class.__name__}({params})"


def test_configs_of_different_classes_or_values_differ() -> None:
    assert TorchDenseSearchConfig(k=3) != SparseSearchConfig(k=3)
    assert FaissSearchConfig(n_probe=2) != FaissSearchConfig(n_probe=3)
    assert FaissIVFIndexConfig() != FaissIVFPQIndexConfig()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: FaissSearchConfig(candidate_k=0), "FaissSearchConfig: candidate_k must be a positive integer, got 0"),
        (lambda: FaissSearchConfig(n_probe=-1), "FaissSearchConfig: n_probe must be a positive integer, got -1"),
        (lambda: FaissSearchConfig(ef_search=2.5), "FaissSearchConfig: ef_search must be a positive integer, got 2.5"),
        (lambda: FaissIVFIndexConfig(num_train_embeddings=0), "num_train_embeddings must be a positive integer"),
        (lambda: FaissIVFIndexConfig(num_centroids=True), "num_centroids must be a positive integer, got True"),
        (lambda: FaissIVFPQIndexConfig(n_bits=0), "FaissIVFPQIndexConfig: n_bits must be a positive integer, got 0"),
        (lambda: FaissIVFPQIndexConfig(num_centroids=0), "FaissIVFPQIndexConfig: num_centroids must be a positive"),
        (lambda: TorchDenseSearchConfig(k="5"), "TorchDenseSearchConfig: k must be a positive integer, got '5'"),
        (lambda: TorchDenseSearchConfig(in_memory="no"), "TorchDenseSearchConfig: in_memory must be True or False"),
        (
            lambda: TorchDenseIndexConfig(precision="fp8"),
            "TorchDenseIndexConfig: precision must be one of the allowed values",
        ),
    ],
)
def test_invalid_values_are_refused_naming_the_class_and_option(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_numpy_integers_are_stored_as_python_ints() -> None:
    config = FaissIVFPQIndexConfig(num_train_embeddings=np.int64(1000), num_centroids=np.int32(8))
    assert type(config.num_train_embeddings) is int
    assert type(config.num_centroids) is int
    assert type(FaissSearchConfig(k=np.int64(5)).k) is int


@pytest.mark.parametrize("config_class", [c for c in SIGNATURES if c is not SearchConfig], ids=lambda c: c.__name__)
def test_configs_are_built_from_yaml_by_class_path(config_class: type) -> None:
    base = SearchConfig if issubclass(config_class, SearchConfig) else IndexConfig
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--config", type=base)
    init_args = {"k": 7} if base is SearchConfig else {}
    yaml_text = f"config:\n  class_path: lightning_ir.retrieve.{config_class.__name__}\n"
    if init_args:
        yaml_text += "  init_args:\n    k: 7\n"
    built = parser.instantiate(parser.parse_string(yaml_text)).config
    assert built == config_class(**init_args)
