"""Untied dual encoders (issue #9 item 6): DPR pairs and sentence-transformers Router folders score as their references.

References: transformers' ``DPRQuestionEncoder`` / ``DPRContextEncoder`` ``pooler_output`` with the dot product, and
sentence-transformers' ``encode_query`` / ``encode_document`` + ``similarity`` for a Router folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import (
    AutoModel,
    AutoTokenizer,
    DPRConfig,
    DPRContextEncoder,
    DPRContextEncoderTokenizer,
    DPRQuestionEncoder,
    DPRQuestionEncoderTokenizer,
)

from lightning_ir import BiEncoderConfig, BiEncoderModel, BiEncoderModule
from lightning_ir.data import TrainBatch
from lightning_ir.loss import InBatchCrossEntropy, RankNet
from tests.conftest import minilm_path, tiny_backbone_config
from tests.fixtures import QUERIES, write_collection
from tests.models.cli_recipes import collection_docs, index_and_search

QUERY = "what do cats eat"
DOCS = [
    "cats are carnivores and eat meat and fish",
    "the stock market fell sharply today",
    "cats hunt mice and birds for food",
    "mount everest is the highest mountain",
]


def _spread(model: torch.nn.Module) -> None:
    """Scale the random weights so that the tiny model's scores are far apart (a well-defined ranking)."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(3.0)


def save_dpr_pair(directory: Path, projection_dim: int) -> tuple[Path, Path]:
    """A seeded tiny DPR question and context encoder, saved by transformers with DPR's tokenizers."""
    config = DPRConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        projection_dim=projection_dim,
    )
    paths = []
    for seed, (model_class, tokenizer_class, name) in enumerate(
        (
            (DPRQuestionEncoder, DPRQuestionEncoderTokenizer, "question_encoder"),
            (DPRContextEncoder, DPRContextEncoderTokenizer, "ctx_encoder"),
        )
    ):
        torch.manual_seed(seed)
        model = model_class(config)
        _spread(model)
        model.save_pretrained(directory / name)
        tokenizer_class.from_pretrained(minilm_path()).save_pretrained(directory / name)
        paths.append(directory / name)
    return paths[0], paths[1]


def dpr_reference_scores(question_path: Path, context_path: Path, query: str, docs: list[str]) -> torch.Tensor:
    question_tokenizer = DPRQuestionEncoderTokenizer.from_pretrained(question_path)
    context_tokenizer = DPRContextEncoderTokenizer.from_pretrained(context_path)
    with torch.no_grad():
        query_vector = DPRQuestionEncoder.from_pretrained(question_path)(
            **question_tokenizer([query], return_tensors="pt")
        ).pooler_output
        doc_vectors = DPRContextEncoder.from_pretrained(context_path)(
            **context_tokenizer(docs, return_tensors="pt", padding=True)
        ).pooler_output
    return (query_vector @ doc_vectors.T)[0]


@pytest.fixture(scope="module", params=[0, 16], ids=lambda dim: f"projection_dim={dim}")
def dpr_pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return save_dpr_pair(tmp_path_factory.mktemp("dpr"), request.param)


@pytest.fixture(scope="module")
def dpr_module(dpr_pair: tuple[Path, Path]) -> BiEncoderModule:
    return BiEncoderModule(model=BiEncoderModel.from_pretrained_pair(*dpr_pair)).eval()


def test_dpr_pair_scores_match_transformers(dpr_pair: tuple[Path, Path], dpr_module: BiEncoderModule) -> None:
    model = dpr_module.model
    assert model.config.tie_encoders is False
    assert model.doc_backbone is not None
    assert (model.config.query_pooling_strategy, model.config.doc_pooling_strategy) == ("first", "first")
    scores = dpr_module.score(QUERY, DOCS).scores.detach()
    expected = dpr_reference_scores(*dpr_pair, QUERY, DOCS)
    assert (scores - expected).abs().max().item() <= 1e-4
    assert scores.argsort(descending=True).tolist() == expected.argsort(descending=True).tolist()
    question_only = BiEncoderModule(model=BiEncoderModel.from_pretrained_pair(dpr_pair[0], dpr_pair[0]))
    assert not torch.allclose(question_only.score(QUERY, DOCS).scores, scores)  # the context encoder is used


def test_one_dpr_encoder_alone_is_refused_naming_the_pair_loader(dpr_pair: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="from_pretrained_pair"):
        BiEncoderModule(str(dpr_pair[0]))


def test_save_and_load_round_trip_gives_identical_scores(dpr_module: BiEncoderModule, tmp_path: Path) -> None:
    expected = dpr_module.score(QUERY, DOCS).scores
    dpr_module.save_pretrained(tmp_path / "saved")
    reloaded = BiEncoderModule(str(tmp_path / "saved"))
    assert reloaded.config.tie_encoders is False
    assert reloaded.model.doc_backbone is not None
    torch.testing.assert_close(reloaded.score(QUERY, DOCS).scores, expected, rtol=0, atol=0)


def _train_batch() -> TrainBatch:
    return TrainBatch(
        queries=[QUERY, "highest mountain"],
        docs=[DOCS[:2], DOCS[2:]],
        query_ids=["q1", "q2"],
        doc_ids=[["a", "b"], ["c", "d"]],
        targets=torch.tensor([1.0, 0.0, 0.0, 1.0]),
    )


def test_one_training_step_reaches_both_encoders(dpr_pair: tuple[Path, Path]) -> None:
    model = BiEncoderModel.from_pretrained_pair(*dpr_pair)
    module = BiEncoderModule(model=model, loss_functions=[RankNet(), InBatchCrossEntropy()])
    module.train()
    batch = _train_batch()
    losses = module.compute_losses(batch, module(batch))
    torch.stack(list(losses.values())).sum().backward()
    assert module.model.doc_backbone is not None
    for backbone in (module.model.backbone, module.model.doc_backbone):
        grad = backbone.get_input_embeddings().weight.grad
        assert grad is not None
        assert torch.isfinite(grad).all()
        assert grad.abs().sum() > 0


def test_pair_of_different_architectures_is_refused(dpr_pair: tuple[Path, Path], tmp_path: Path) -> None:
    torch.manual_seed(0)
    AutoModel.from_config(tiny_backbone_config("bert", max_position_embeddings=128)).save_pretrained(tmp_path / "short")
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(tmp_path / "short")
    with pytest.raises(ValueError, match="max_position_embeddings"):
        BiEncoderModel.from_pretrained_pair(dpr_pair[0], tmp_path / "short")


def test_untied_encoders_from_one_backbone_start_equal_and_train_apart(tiny_bert_dir: Path) -> None:
    config = BiEncoderConfig(tie_encoders=False, add_marker_tokens=True, embedding_dim=16)
    module = BiEncoderModule(str(tiny_bert_dir), config=config, loss_functions=[InBatchCrossEntropy()])
    model = module.model
    assert model.doc_backbone is not None
    assert model.doc_projection is not None
    num_tokens = len(module.tokenizer)  # the marker tokens grow both embedding tables
    assert model.backbone.get_input_embeddings().num_embeddings == num_tokens
    assert model.doc_backbone.get_input_embeddings().num_embeddings == num_tokens
    tied = BiEncoderModule(str(tiny_bert_dir), config=BiEncoderConfig(add_marker_tokens=True, embedding_dim=16))
    torch.manual_seed(0)
    model.projection.reset_parameters()
    tied.model.projection.load_state_dict(model.projection.state_dict())
    model.doc_projection.load_state_dict(model.projection.state_dict())
    torch.testing.assert_close(module.score(QUERY, DOCS).scores, tied.score(QUERY, DOCS).scores)
    module.train()
    batch = _train_batch()
    torch.stack(list(module.compute_losses(batch, module(batch)).values())).sum().backward()
    torch.optim.SGD(module.parameters(), lr=0.5).step()
    query_weight = model.backbone.get_input_embeddings().weight
    doc_weight = model.doc_backbone.get_input_embeddings().weight
    assert torch.isfinite(query_weight).all()
    assert torch.isfinite(doc_weight).all()
    assert not torch.allclose(query_weight, doc_weight)


def _save_backbone(directory: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    backbone = AutoModel.from_config(tiny_backbone_config("bert"))
    _spread(backbone)
    backbone.save_pretrained(directory)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(directory)
    return directory


def save_router(directory: Path, dense: bool) -> Path:
    """An asymmetric sentence-transformers model (``Router.for_query_document``) saved by sentence-transformers."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize, Router, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    def route(seed: int, pooling: str) -> list[torch.nn.Module]:
        modules = [Transformer(str(_save_backbone(directory.parent / f"bert-{seed}", seed))), Pooling(32, pooling)]
        if dense:
            torch.manual_seed(seed)
            modules.append(Dense(32, 16, bias=True, activation_function=torch.nn.Identity()))
        return modules

    router = Router.for_query_document(query_modules=route(0, "mean"), document_modules=route(1, "cls"))
    SentenceTransformer(modules=[router, Normalize()], device="cpu").save(str(directory))
    return directory


def router_reference_scores(path: Path, query: str, docs: list[str]) -> torch.Tensor:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(path), device="cpu")
    query_vector = reference.encode_query([query], convert_to_tensor=True)
    doc_vectors = reference.encode_document(docs, convert_to_tensor=True)
    return reference.similarity(query_vector, doc_vectors)[0].float()


@pytest.fixture(scope="module", params=[False, True], ids=["router", "router-dense"])
def router_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_router(tmp_path_factory.mktemp("router") / "model", dense=request.param)


def test_router_scores_match_sentence_transformers(router_dir: Path, tmp_path: Path) -> None:
    module = BiEncoderModule(str(router_dir))
    config = module.config
    assert config.tie_encoders is False
    assert (config.query_pooling_strategy, config.doc_pooling_strategy, config.normalize) == ("mean", "first", True)
    scores = module.score(QUERY, DOCS).scores.detach()
    expected = router_reference_scores(router_dir, QUERY, DOCS)
    assert (scores - expected).abs().max().item() <= 1e-4
    assert scores.argsort(descending=True).tolist() == expected.argsort(descending=True).tolist()
    module.save_pretrained(tmp_path / "saved")
    reloaded = BiEncoderModule(str(tmp_path / "saved"))
    torch.testing.assert_close(reloaded.score(QUERY, DOCS).scores, module.score(QUERY, DOCS).scores, rtol=0, atol=0)


def test_router_with_a_tied_config_is_refused(router_dir: Path) -> None:
    with pytest.raises(ValueError, match="tie_encoders=False"):
        BiEncoderModule(str(router_dir), config=BiEncoderConfig())


def test_cli_index_and_search_use_the_document_encoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A saved DPR pair indexes with its context encoder and searches with its question encoder."""
    dpr_module = BiEncoderModule(model=BiEncoderModel.from_pretrained_pair(*save_dpr_pair(tmp_path, 16))).eval()
    model_dir = tmp_path / "dpr"
    dpr_module.save_pretrained(model_dir)
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)
    run = index_and_search(
        tmp_path,
        model_dir,
        collection,
        {"class_path": "lightning_ir.retrieve.TorchDenseIndexConfig"},
        {"class_path": "lightning_ir.retrieve.TorchDenseSearchConfig", "init_args": {"k": 3}},
    )
    assert len(run) == len(QUERIES)
    docs = collection_docs(collection)
    for query_id in ("q-apple", "q-rocket"):
        doc_ids = [doc_id for doc_id, _ in run[query_id]]
        expected = dpr_module.score(QUERIES[query_id[2:]], [docs[doc_id] for doc_id in doc_ids]).scores
        torch.testing.assert_close(torch.tensor([score for _, score in run[query_id]]), expected, atol=1e-4, rtol=0)
        everything = dpr_module.score(QUERIES[query_id[2:]], list(docs.values())).scores
        assert expected[0].item() == pytest.approx(everything.max().item(), abs=1e-4)
