"""SPLADE: sentence-transformers SparseEncoder folders load by detection and score as SparseEncoder does.

Every folder is a tiny seeded masked-LM saved by sentence-transformers' own ``SparseEncoder.save`` (SPLADE with the
new ``Transformer(transformer_task="fill-mask")`` and with the legacy ``MLMTransformer``, and an inference-free
``Router`` with a ``SparseStaticEmbedding`` query route); the reference is ``SparseEncoder.encode_query`` /
``encode_document`` + ``similarity`` on the same folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from transformers import AutoModelForMaskedLM, AutoTokenizer

from lightning_ir import BiEncoderModule, SpladeConfig
from lightning_ir.base.layouts import CheckpointFiles, detect_layout, layout_table
from lightning_ir.cli import LightningIRCLI
from lightning_ir.models.splade import INFERENCE_FREE_SPLADE_LAYOUT, SPLADE_LAYOUT, SpladeModel
from tests.conftest import minilm_path, tiny_backbone_config
from tests.fixtures import QUERIES, TOPICS, write_collection

QUERY_TEXTS = ["what do cats eat", "how tall is mount everest"]
DOCS = [
    "Cats are carnivores and eat meat.",
    "The stock market fell today.",
    "Mount Everest is 8,849 metres tall.",
    "",
    "cats cats cats " * 40,
]
CASES = {
    "transformer-fill-mask": {"backbone": "bert", "module": "Transformer", "pooling": "max"},
    "mlm-transformer-sum": {"backbone": "distilbert", "module": "MLMTransformer", "pooling": "sum", "max_active": 64},
    "inference-free": {"backbone": "bert", "module": "Transformer", "pooling": "max", "router": True},
}


def save_masked_lm(directory: Path, model_type: str = "bert", seed: int = 0) -> Path:
    """A seeded random ``...ForMaskedLM`` (saved by transformers) with the MiniLM WordPiece tokenizer.

    The output bias is lowered so that, as in a trained SPLADE, only a few hundred vocabulary entries are active.
    """
    torch.manual_seed(seed)
    model = AutoModelForMaskedLM.from_config(tiny_backbone_config(model_type))
    with torch.no_grad():
        bias = model.get_output_embeddings().bias
        bias.copy_(torch.randn_like(bias) * 0.05 - 0.35)
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(directory)
    return directory


def save_sparse_encoder(directory: Path, case: dict[str, Any]) -> Path:
    """A ``SparseEncoder`` of ``case`` (see :data:`CASES`) saved by sentence-transformers."""
    from sentence_transformers import SparseEncoder
    from sentence_transformers.sparse_encoder.modules import (
        MLMTransformer,
        Router,
        SparseStaticEmbedding,
        SpladePooling,
        Transformer,
    )

    masked_lm = str(save_masked_lm(directory.parent / f"{directory.name}-masked-lm", case["backbone"]))
    if case["module"] == "MLMTransformer":
        transformer = MLMTransformer(masked_lm)
    else:
        transformer = Transformer(masked_lm, transformer_task="fill-mask")
    if not case.get("router"):
        modules = [transformer, SpladePooling(case["pooling"], chunk_size=5)]
    else:
        tokenizer = AutoTokenizer.from_pretrained(masked_lm)
        weights = torch.rand(tokenizer.vocab_size, generator=torch.Generator().manual_seed(3)) * 2
        static = SparseStaticEmbedding(tokenizer=tokenizer, weight=weights, frozen=True)
        document = [transformer, SpladePooling(case["pooling"], activation_function="log1p_relu")]
        modules = [Router.for_query_document(query_modules=[static], document_modules=document)]
    SparseEncoder(modules=modules, device="cpu", max_active_dims=case.get("max_active")).save(str(directory))
    return directory


_FOLDERS: dict[str, Path] = {}


def sparse_encoder_folder(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of case ``name``, built once per test session (read-only for the tests)."""
    if name not in _FOLDERS:
        _FOLDERS[name] = save_sparse_encoder(tmp_path_factory.mktemp("splade") / name, CASES[name])
    return _FOLDERS[name]


@pytest.fixture(scope="module", params=list(CASES))
def folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sparse_encoder_folder(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def loaded(folder: Path) -> BiEncoderModule:
    """The folder loaded by detection (used for scoring only)."""
    return BiEncoderModule(str(folder))


def reference(path: Path, queries: list[str], docs: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """SparseEncoder's document vectors ``(docs, vocab)`` and scores ``(queries, docs)`` on ``path``."""
    from sentence_transformers import SparseEncoder

    model = SparseEncoder(str(path), device="cpu")
    query_vectors = model.encode_query(queries, convert_to_tensor=True).to_dense()
    doc_vectors = model.encode_document(docs, convert_to_tensor=True).to_dense()
    return doc_vectors, model.similarity(query_vectors, doc_vectors)


def test_scores_match_sentence_transformers_sparse_encoder(folder: Path, loaded: BiEncoderModule) -> None:
    assert type(loaded.model) is SpladeModel
    output = loaded.score(QUERY_TEXTS, [DOCS, DOCS])
    scores = output.scores.view(len(QUERY_TEXTS), -1)
    expected_docs, expected = reference(folder, QUERY_TEXTS, DOCS)
    assert output.doc_embeddings is not None
    doc_vectors = output.doc_embeddings.embeddings[: len(DOCS), 0]
    assert (doc_vectors - expected_docs).abs().max().item() <= 1e-4
    assert 0 < (doc_vectors > 0).sum(dim=1).max().item() < 3000  # sparse, as a trained SPLADE
    assert (scores - expected).abs().max().item() <= 1e-4
    assert scores.argsort(dim=1).tolist() == expected.argsort(dim=1).tolist()


def test_the_layout_is_recognised_from_the_files(folder: Path) -> None:
    detected = detect_layout(CheckpointFiles(str(folder)), "bi-encoder")
    assert detected is not None
    layout, config = detected
    router = folder.name == "inference-free"
    assert layout is (INFERENCE_FREE_SPLADE_LAYOUT if router else SPLADE_LAYOUT)
    assert isinstance(config, SpladeConfig)
    assert config.static_query_weights is router
    assert config.freeze_query_weights is router
    assert config.sparsification == ("relu_log_log" if router else "relu_log")
    assert config.doc_pooling_strategy == CASES[folder.name]["pooling"]
    assert config.max_active_dims == CASES[folder.name].get("max_active")
    assert (config.query_length, config.doc_length, config.similarity_function) == (512, 512, "dot")
    assert layout.family in layout_table()


def test_save_and_load_round_trip_gives_identical_scores(loaded: BiEncoderModule, tmp_path: Path) -> None:
    module = loaded
    expected = module.score(QUERY_TEXTS, [DOCS, DOCS]).scores
    module.save_pretrained(tmp_path / "saved")
    reloaded = BiEncoderModule(str(tmp_path / "saved"))
    assert type(reloaded.model) is SpladeModel
    assert reloaded.config.to_added_args_dict() == module.config.to_added_args_dict()
    torch.testing.assert_close(reloaded.score(QUERY_TEXTS, [DOCS, DOCS]).scores, expected, rtol=0, atol=0)


def test_training_step_gives_finite_gradients(folder: Path) -> None:
    module = BiEncoderModule(str(folder))
    module.train()
    batch = type("Batch", (), {"queries": QUERY_TEXTS, "docs": [DOCS[:2], DOCS[1:3]], "encodings": None})()
    scores = module(batch).scores
    loss = torch.nn.functional.cross_entropy(scores.view(2, -1), torch.tensor([0, 1]))
    loss.backward()
    model = module.model
    assert model.projection is not None
    head_grads = [p.grad for p in model.projection.parameters() if p.grad is not None]
    backbone_grads = [p.grad for p in model.backbone.parameters() if p.grad is not None]
    assert head_grads
    assert backbone_grads
    assert all(torch.isfinite(grad).all() for grad in head_grads + backbone_grads)
    assert any(grad.abs().sum() > 0 for grad in head_grads)
    if model.query_weights is not None:
        assert model.query_weights.grad is None  # saved frozen by SparseStaticEmbedding(frozen=True)


def test_static_query_vectors_hold_the_weight_of_each_query_token(tmp_path_factory: pytest.TempPathFactory) -> None:
    module = BiEncoderModule(str(sparse_encoder_folder("inference-free", tmp_path_factory)))
    weights = module.model.query_weights
    assert weights is not None
    encoding = module.tokenizer.tokenize_query(["cats eat cats", "mount everest"])
    vectors = module.model.encode_query(encoding).embeddings[:, 0]
    for row, text in enumerate(["cats eat cats", "mount everest"]):
        token_ids = sorted(set(module.tokenizer.tokenizer(text, add_special_tokens=False)["input_ids"]))
        assert vectors[row].nonzero().flatten().tolist() == token_ids  # no [CLS] / [SEP]
        torch.testing.assert_close(vectors[row, token_ids], weights[token_ids].detach())


def test_unfrozen_static_query_weights_are_trained(tmp_path_factory: pytest.TempPathFactory) -> None:
    path = sparse_encoder_folder("inference-free", tmp_path_factory)
    module = BiEncoderModule(str(path), config=SpladeConfig(static_query_weights=True, doc_length=64))
    module.train()
    batch = type("Batch", (), {"queries": QUERY_TEXTS, "docs": [DOCS[:2], DOCS[2:4]], "encodings": None})()
    output = module(batch)
    output.scores.sum().backward()
    grad = module.model.query_weights.grad
    assert grad is not None
    query_vectors = output.query_embeddings.embeddings[:, 0].detach()
    doc_vectors = output.doc_embeddings.embeddings[:, 0].detach().view(2, 2, -1).sum(dim=1)
    # d score / d weight[t] = sum over the query's documents of their value at t, for the query's tokens t
    expected = ((query_vectors != 0) * doc_vectors).sum(dim=0)
    torch.testing.assert_close(grad, expected)


@pytest.mark.filterwarnings("ignore:.*weights.*initialised randomly")
def test_static_query_weights_missing_from_a_saved_model_start_at_one(tiny_bert_dir: Path, tmp_path: Path) -> None:
    BiEncoderModule(str(tiny_bert_dir), config=SpladeConfig(doc_length=64)).save_pretrained(tmp_path / "saved")
    module = BiEncoderModule(str(tmp_path / "saved"), config=SpladeConfig(static_query_weights=True))
    assert module.model.query_weights is not None
    assert bool((module.model.query_weights == 1).all())


def _run_cli(subcommand: str, recipe: dict[str, Any], directory: Path) -> LightningIRCLI:
    path = directory / f"{subcommand}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return LightningIRCLI(args=[subcommand, f"--config={path}"])


def _inference_recipe(folder: Path, callback: dict[str, Any], dataset: dict[str, Any]) -> dict[str, Any]:
    return {
        "trainer": {"logger": False, "enable_progress_bar": False, "callbacks": [callback]},
        "model": {"class_path": "lightning_ir.BiEncoderModule", "init_args": {"model_name_or_path": str(folder)}},
        "data": {
            "class_path": "lightning_ir.data.LightningIRDataModule",
            "init_args": {"inference_batch_size": 3, "inference_datasets": [dataset]},
        },
    }


@pytest.mark.parametrize(
    "case",
    [
        "inference-free",
        pytest.param("transformer-fill-mask", marks=pytest.mark.slow),
        pytest.param("mlm-transformer-sum", marks=pytest.mark.slow),
    ],
)
def test_index_and_search_through_the_cli_give_the_reference_scores(
    case: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sparse index takes the model's vectors; search reproduces SparseEncoder's scores (static queries too)."""
    folder = sparse_encoder_folder(case, tmp_path_factory)
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)
    index = {
        "class_path": "lightning_ir.callbacks.IndexCallback",
        "init_args": {"index_dir": "index", "index_config": {"class_path": "lightning_ir.retrieve.SparseIndexConfig"}},
    }
    docs = {"class_path": "lightning_ir.data.DocDataset", "init_args": {"doc_dataset": str(collection)}}
    _run_cli("index", _inference_recipe(folder, index, docs), tmp_path)
    search = {
        "class_path": "lightning_ir.callbacks.SearchCallback",
        "init_args": {
            "index_dir": "index",
            "search_config": {"class_path": "lightning_ir.retrieve.SparseSearchConfig", "init_args": {"k": 16}},
            "save_dir": "runs",
        },
    }
    queries = {"class_path": "lightning_ir.data.QueryDataset", "init_args": {"query_dataset": str(collection)}}
    _run_cli("search", _inference_recipe(folder, search, queries), tmp_path)
    run: dict[str, dict[str, float]] = {}
    for line in (tmp_path / "runs" / "collection.run").read_text().splitlines():
        query_id, _, doc_id, _, score, _ = line.split()
        run.setdefault(query_id, {})[doc_id] = float(score)
    doc_ids = [f"d-{topic}" for topic, _ in TOPICS] + [f"d-{topic}-x" for topic, _ in TOPICS]
    doc_texts = dict(line.split("\t", 1) for line in (collection / "docs.tsv").read_text().splitlines())
    query_ids = [f"q-{topic}" for topic in QUERIES]
    _, expected = reference(folder, list(QUERIES.values()), [doc_texts[doc_id] for doc_id in doc_ids])
    assert sorted(run) == sorted(query_ids)
    for row, query_id in enumerate(query_ids):
        retrieved = run[query_id]
        expected_scores = {doc_id: float(expected[row, i]) for i, doc_id in enumerate(doc_ids)}
        assert max(abs(score - expected_scores[doc_id]) for doc_id, score in retrieved.items()) <= 1e-4
        positive = {doc_id for doc_id, score in expected_scores.items() if score > 1e-4}
        assert positive <= set(retrieved)  # every document sharing a term is retrieved


def test_bare_masked_lm_checkpoint_needs_a_splade_config(tmp_path: Path) -> None:
    """A naver-style ``BertForMaskedLM`` folder without ``modules.json`` looks like a plain backbone."""
    from sentence_transformers import SparseEncoder

    path = save_masked_lm(tmp_path / "naver-splade")
    assert type(BiEncoderModule(str(path)).model).__name__ == "BiEncoderModel"
    module = BiEncoderModule(str(path), config=SpladeConfig(query_length=512, doc_length=512))
    assert type(module.model) is SpladeModel
    scores = module.score(QUERY_TEXTS, [DOCS, DOCS]).scores.view(len(QUERY_TEXTS), -1)
    reference_model = SparseEncoder(str(path), device="cpu")  # SPLADE modules made for a masked-LM checkpoint
    expected = reference_model.similarity(
        reference_model.encode_query(QUERY_TEXTS, convert_to_tensor=True).to_dense(),
        reference_model.encode_document(DOCS, convert_to_tensor=True).to_dense(),
    )
    assert (scores - expected).abs().max().item() <= 1e-4
    assert "SpladeConfig()" in SPLADE_LAYOUT.recognised_by


def test_a_given_config_replaces_the_folder_settings_and_keeps_the_weights(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = sparse_encoder_folder("inference-free", tmp_path_factory)
    detected = BiEncoderModule(str(folder))
    module = BiEncoderModule(str(folder), config=SpladeConfig(static_query_weights=True, doc_length=16))
    assert type(module.model) is SpladeModel
    assert (module.config.doc_length, module.config.sparsification) == (16, "relu_log")
    assert module.model.query_weights is not None
    assert detected.model.query_weights is not None
    torch.testing.assert_close(module.model.query_weights, detected.model.query_weights)


@pytest.mark.slow
def test_a_hub_id_is_read_from_the_hugging_face_cache(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A hub id whose transformer and static query weights live in Router subfolders (fetched from the HF cache)."""
    import os
    import subprocess
    import sys

    folder = sparse_encoder_folder("inference-free", tmp_path_factory)
    repo = tmp_path / "hub" / "models--some-org--splade-doc-only"
    shutil.copytree(folder, repo / "snapshots" / ("0" * 40))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    script = (
        "import json; from lightning_ir import BiEncoderModule; "
        "module = BiEncoderModule('some-org/splade-doc-only'); "
        f"print(json.dumps(module.score({QUERY_TEXTS[0]!r}, {DOCS!r}).scores.tolist()))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    scores = torch.tensor(json.loads(result.stdout.strip().splitlines()[-1]))
    _, expected = reference(folder, QUERY_TEXTS[:1], DOCS)
    assert (scores - expected[0]).abs().max().item() <= 1e-4


def _edited_copy(folder: Path, destination: Path, name: str, **changes: Any) -> Path:
    shutil.copytree(folder, destination)
    data = json.loads((destination / name).read_text())
    data.update(changes)
    (destination / name).write_text(json.dumps(data))
    return destination


def test_an_unsupported_similarity_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = save_sparse_encoder(tmp_path / "splade", CASES["transformer-fill-mask"])
    edited = _edited_copy(
        path, tmp_path / "edited", "config_sentence_transformers.json", similarity_fn_name="manhattan"
    )
    with pytest.raises(ValueError, match="config_sentence_transformers.json.*manhattan"):
        BiEncoderModule(str(edited))


def test_a_router_with_a_transformer_query_route_is_not_taken_for_inference_free_splade(tmp_path: Path) -> None:
    path = save_sparse_encoder(tmp_path / "splade", CASES["inference-free"])
    router_file = path / "router_config.json"
    router = json.loads(router_file.read_text())
    router["structure"]["query"] = router["structure"]["document"]
    router_file.write_text(json.dumps(router))
    files = CheckpointFiles(str(path))
    assert SPLADE_LAYOUT.detect(files) is None
    assert INFERENCE_FREE_SPLADE_LAYOUT.detect(files) is None
