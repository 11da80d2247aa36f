"""Index integrity: the model that built an index is recorded and checked; vector counts and values are validated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lightning_ir.retrieve import (
    FaissFlatIndexConfig,
    FaissSearchConfig,
    IndexFormatError,
    SparseIndexConfig,
    SparseSearchConfig,
    TorchDenseIndexConfig,
    TorchDenseSearchConfig,
    read_metadata,
)
from lightning_ir.retrieve.base.model_identity import ModelIdentity, ModelMismatchError, model_fingerprint

from .helpers import build_index, model_config

ONE = torch.ones(6, 1, dtype=torch.bool)


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Embedding(50, 8), torch.nn.Linear(8, 4))


def test_fingerprint_ignores_precision_but_sees_fine_tuning() -> None:
    model = _model(0)
    fingerprint = model_fingerprint(model)
    assert model_fingerprint(_model(0)) == fingerprint
    assert model_fingerprint(_model(0).to(torch.bfloat16)) == fingerprint  # same weights, held in bfloat16
    assert model_fingerprint(_model(1)) != fingerprint
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    for _ in range(20):
        optimizer.zero_grad()
        model(torch.tensor([1, 2, 3])).sum().backward()
        optimizer.step()
    assert model_fingerprint(model) != fingerprint


def _indexed(tmp_path: Path, identity: ModelIdentity) -> Path:
    indexer = TorchDenseIndexConfig().indexer_class(
        tmp_path / "index", TorchDenseIndexConfig(), model_config(), model_identity=identity
    )
    indexer.add([f"d{i}" for i in range(6)], torch.randn(6, 1, 4), ONE)
    return indexer.save()


def test_the_index_records_the_model_and_refuses_other_weights(tmp_path: Path) -> None:
    built_with = ModelIdentity.of(_model(0), "models/base")
    index_dir = _indexed(tmp_path, built_with)
    assert read_metadata(index_dir).model_identity == built_with
    config = TorchDenseSearchConfig(k=2)
    same = ModelIdentity.of(_model(0), "a/copy/of/base")  # another path, same weights: fine
    config.searcher_class(index_dir, config, model_config(), model_identity=same)
    other = ModelIdentity.of(_model(1), "models/fine-tuned")
    with pytest.raises(ModelMismatchError, match=r"built with the model models/base .* models/fine-tuned has other"):
        config.searcher_class(index_dir, config, model_config(), model_identity=other)
    with pytest.warns(UserWarning, match="searching anyway"):
        config.searcher_class(index_dir, config, model_config(), model_identity=other, allow_model_mismatch=True)


def _edit_config(index_dir: Path, **changes: object) -> None:
    path = index_dir / "config.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_a_single_vector_index_with_several_vectors_per_document_is_refused(tmp_path: Path) -> None:
    docs, mask = torch.randn(6, 3, 4), torch.ones(6, 3, dtype=torch.bool)
    index_dir = build_index(tmp_path / "index", TorchDenseIndexConfig(), model_config(), docs, mask)
    _edit_config(index_dir, multi_vector=False)
    config = TorchDenseSearchConfig(k=2)
    with pytest.raises(IndexFormatError, match=r"single-vector index, but document 0 has 3 vectors"):
        config.searcher_class(index_dir, config, model_config())


@pytest.mark.parametrize(
    ("index_config", "search_config", "data_file"),
    [
        (TorchDenseIndexConfig(), TorchDenseSearchConfig(k=2), "embeddings.npy"),
        (SparseIndexConfig(), SparseSearchConfig(k=2), "values.npy"),
    ],
)
def test_non_finite_stored_vectors_are_refused_at_load(
    tmp_path: Path, index_config: object, search_config: object, data_file: str
) -> None:
    docs = torch.rand(6, 1, 8)
    index_dir = build_index(tmp_path / "index", index_config, model_config(), docs, ONE)  # type: ignore[arg-type]
    path = index_dir / data_file
    array = np.load(path)
    array.reshape(-1)[-1] = np.nan
    np.save(path, array)
    with pytest.raises(IndexFormatError, match=rf"{data_file} holds a non-finite value"):
        search_config.searcher_class(index_dir, search_config, model_config())  # type: ignore[attr-defined]


def test_non_finite_vectors_in_a_faiss_flat_index_are_refused_at_load(tmp_path: Path) -> None:
    faiss = pytest.importorskip("faiss")
    index_dir = build_index(tmp_path / "index", FaissFlatIndexConfig(), model_config(), torch.randn(6, 1, 4), ONE)
    index = faiss.read_index(str(index_dir / "index.faiss"))
    vectors = index.reconstruct_n(0, index.ntotal)
    vectors[3, 1] = np.inf
    index.reset()
    index.add(vectors)
    faiss.write_index(index, str(index_dir / "index.faiss"))
    config = FaissSearchConfig(k=2)
    with pytest.raises(IndexFormatError, match=r"index.faiss holds a non-finite vector .* row 3"):
        config.searcher_class(index_dir, config, model_config())


def test_non_finite_or_empty_documents_are_not_indexed(tmp_path: Path) -> None:
    indexer = TorchDenseIndexConfig().indexer_class(tmp_path / "index", TorchDenseIndexConfig(), model_config())
    docs = torch.randn(2, 1, 4)
    docs[1, 0, 2] = float("nan")
    with pytest.raises(ValueError, match=r"document 'b' has a non-finite embedding"):
        indexer.add(["a", "b"], docs, torch.ones(2, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"document 'b' has no vector that takes part in scoring"):
        indexer.add(["a", "b"], torch.randn(2, 1, 4), torch.tensor([[True], [False]]))
    assert indexer.num_docs == 0
    multi = torch.randn(2, 3, 4)
    multi[0, 2] = float("inf")  # a padding position: not part of scoring, so allowed
    indexer.add(["a", "b"], multi, torch.tensor([[True, True, False], [True, False, False]]))
    assert indexer.num_docs == 2
