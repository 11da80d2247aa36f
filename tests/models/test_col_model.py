"""ColModel loaded from the published ColBERT layouts: save/load, training, index and search through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_ir import BiEncoderModule, ColConfig, ColModel
from lightning_ir.base.layouts import CheckpointFiles, detect_layout
from lightning_ir.data import TrainBatch
from lightning_ir.loss import RankNet
from tests.fixtures import QUERIES, write_collection
from tests.models.cli_recipes import collection_docs, index_and_search
from tests.models.reference.colbert_fixtures import reference_data, score_matrix
from tests.models.reference.colbert_pylate_reference import FOLDERS

FAMILIES = ("colbert-ir", "pylate")


@pytest.fixture(params=FAMILIES)
def folder(request: pytest.FixtureRequest) -> Path:
    return FOLDERS / str(request.param)


def test_save_and_load_round_trip_gives_identical_scores(folder: Path, tmp_path: Path) -> None:
    module = BiEncoderModule(str(folder))
    expected = score_matrix(module)
    module.save_pretrained(tmp_path / "saved")
    reloaded = BiEncoderModule(str(tmp_path / "saved"))
    assert type(reloaded.model) is ColModel
    assert reloaded.config.to_added_args_dict() == module.config.to_added_args_dict()
    assert (reloaded.tokenizer.query_token, reloaded.tokenizer.doc_token) == (
        module.config.query_token,
        module.config.doc_token,
    )
    assert len(reloaded.tokenizer) == len(module.tokenizer)
    torch.testing.assert_close(score_matrix(reloaded), expected, rtol=0, atol=0)


def test_training_step_gives_finite_gradients_to_encoder_and_projection(folder: Path) -> None:
    module = BiEncoderModule(str(folder), loss_functions=[RankNet()])
    module.train()
    docs = reference_data()["docs"]
    batch = TrainBatch(
        queries=reference_data()["queries"],
        docs=[docs[:3], docs[3:]],
        query_ids=["q1", "q2"],
        doc_ids=[["a", "b", "c"], ["d", "e", "f"]],
        targets=torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
    )
    losses = module.compute_losses(batch, module(batch))
    sum(losses.values()).backward()  # type: ignore[union-attr]
    projection = module.model.projection
    assert projection is not None
    assert projection.weight.grad is not None
    backbone = [p.grad for p in module.model.backbone.parameters() if p.grad is not None]
    assert backbone
    assert all(torch.isfinite(grad).all() for grad in [projection.weight.grad, *backbone])
    assert projection.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("family", ["pylate", pytest.param("colbert-ir", marks=pytest.mark.slow)])
def test_index_and_search_through_the_cli_give_the_models_max_sim_scores(
    family: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exact multi-vector index returns every document with the score ColModel gives it."""
    folder = FOLDERS / family
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)
    run = index_and_search(
        tmp_path,
        folder,
        collection,
        {"class_path": "lightning_ir.retrieve.TorchDenseIndexConfig"},
        {"class_path": "lightning_ir.retrieve.TorchDenseSearchConfig", "init_args": {"k": 16}},
    )
    module = BiEncoderModule(str(folder))
    docs = collection_docs(collection)
    assert sorted(run) == sorted(f"q-{topic}" for topic in QUERIES)
    for topic, query in QUERIES.items():
        with torch.no_grad():
            scores = module.score(query, list(docs.values())).scores
        expected = dict(zip(docs, scores.tolist(), strict=True))
        retrieved = run[f"q-{topic}"]
        assert sorted(doc_id for doc_id, _ in retrieved) == sorted(docs)
        assert max(abs(score - expected[doc_id]) for doc_id, score in retrieved) <= 1e-4
        assert [score for _, score in retrieved] == sorted((score for _, score in retrieved), reverse=True)


def test_untied_encoders_both_start_from_the_trained_projection(folder: Path) -> None:
    detected = detect_layout(CheckpointFiles(str(folder)), "bi-encoder")
    assert detected is not None
    config = ColConfig(**{**detected[1].to_added_args_dict(), "tie_encoders": False})
    untied = BiEncoderModule(model=ColModel.from_pretrained(str(folder), config=config))
    assert untied.model.doc_projection is not None
    torch.testing.assert_close(score_matrix(untied), score_matrix(BiEncoderModule(str(folder))))


def test_marker_tokens_come_from_the_config(tiny_bert_dir: Path) -> None:
    config = ColConfig(query_token="[unused0]", doc_token="[unused1]", embedding_dim=8, doc_length=64)
    module = BiEncoderModule(str(tiny_bert_dir), config=config)
    vocabulary = module.tokenizer.get_vocab()
    assert len(module.tokenizer) == len(vocabulary) == 30522  # the vocabulary's own tokens: nothing added
    ids = module.tokenizer.tokenize_query(["cats"])["input_ids"][0]
    assert ids[1].item() == vocabulary["[unused0]"]
    assert {"query_token", "doc_token"} <= ColConfig.TOKENIZER_ARGS


@pytest.mark.parametrize("argument", ["query_token", "doc_token"])
def test_an_empty_marker_token_is_refused(argument: str) -> None:
    with pytest.raises(ValueError, match=f"ColConfig: {argument} must be a non-empty string"):
        ColConfig(**{argument: ""})
