"""Cross-encoders from Hugging Face sequence-classification checkpoints score as sentence-transformers does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PretrainedConfig

from lightning_ir import CrossEncoderConfig, CrossEncoderModule
from lightning_ir.cross_encoder import SequenceClassificationCrossEncoderModel
from tests.conftest import minilm_path, tiny_backbone_config

QUERY = "what do cats eat"
DOCS = [
    "Cats are carnivores and eat meat.",
    "The stock market fell today.",
    "Cats hunt mice and birds for food.",
    "",
    "Mount Everest is 8,849 metres tall.",
]
CASES = [
    ("bert", 1),
    ("electra", 1),
    ("roberta", 1),
    ("distilbert", 1),
    ("modernbert", 1),
    ("bert", 2),
]


def _classifier_config(model_type: str, num_labels: int) -> PretrainedConfig:
    extra = {"max_position_embeddings": 514} if model_type == "roberta" else {}
    return tiny_backbone_config(model_type, num_labels=num_labels, **extra)


def _save_classifier(directory: Path, model_type: str, num_labels: int) -> Path:
    """A seeded random ``...ForSequenceClassification`` with the MiniLM WordPiece tokenizer."""
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(_classifier_config(model_type, num_labels))
    with torch.no_grad():  # spread the classifier's outputs so that the ranking is well defined
        for parameter in model.parameters():
            parameter.mul_(4.0)
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(directory)
    return directory


def _reference_scores(path: Path, num_labels: int) -> torch.Tensor:
    from sentence_transformers import CrossEncoder

    reference = CrossEncoder(str(path), device="cpu")
    scores = reference.predict([(QUERY, doc) for doc in DOCS], convert_to_tensor=True, apply_softmax=num_labels == 2)
    scores = scores.float().cpu()
    return scores[:, 1] if num_labels == 2 else scores


@pytest.fixture(params=CASES, ids=lambda case: f"{case[0]}-{case[1]}label")
def checkpoint(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, int]:
    model_type, num_labels = request.param
    return _save_classifier(tmp_path / "checkpoint", model_type, num_labels), num_labels


def test_scores_match_sentence_transformers(checkpoint: tuple[Path, int]) -> None:
    path, num_labels = checkpoint
    module = CrossEncoderModule(str(path))
    assert type(module.model) is SequenceClassificationCrossEncoderModel
    scores = module.score(QUERY, DOCS).scores.detach()
    expected = _reference_scores(path, num_labels)
    assert (scores - expected).abs().max().item() <= 1e-4
    assert scores.argsort(descending=True).tolist() == expected.argsort(descending=True).tolist()


def test_save_and_load_round_trip_gives_identical_scores(checkpoint: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = checkpoint
    module = CrossEncoderModule(str(path))
    expected = module.score(QUERY, DOCS).scores
    module.save_pretrained(tmp_path / "saved")
    reloaded = CrossEncoderModule(str(tmp_path / "saved"))
    assert type(reloaded.model) is SequenceClassificationCrossEncoderModel
    torch.testing.assert_close(reloaded.score(QUERY, DOCS).scores, expected, rtol=0, atol=0)


def test_training_step_reaches_the_trained_classifier(checkpoint: tuple[Path, int]) -> None:
    path, _ = checkpoint
    module = CrossEncoderModule(str(path))
    module.train()
    batch = type("Batch", (), {"queries": [QUERY], "docs": [DOCS], "encodings": None})()
    scores = module(batch).scores
    loss = torch.nn.functional.cross_entropy(scores.view(1, -1), torch.tensor([0]))
    loss.backward()
    grad = module.model.linear.weight.grad
    assert grad is not None
    assert torch.isfinite(grad).all()
    assert grad.abs().sum() > 0


def test_plain_backbone_keeps_the_linear_head(tiny_bert_dir: Path) -> None:
    module = CrossEncoderModule(str(tiny_bert_dir))
    assert type(module.model).__name__ == "CrossEncoderModel"


def test_lengths_given_to_a_saved_model_keep_its_head(checkpoint: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = checkpoint
    module = CrossEncoderModule(str(path))
    expected = module.score(QUERY, DOCS).scores
    module.save_pretrained(tmp_path / "saved")
    reloaded = CrossEncoderModule(str(tmp_path / "saved"), config=CrossEncoderConfig(query_length=16, doc_length=64))
    assert type(reloaded.model) is SequenceClassificationCrossEncoderModel
    assert (reloaded.config.query_length, reloaded.config.doc_length) == (16, 64)
    torch.testing.assert_close(reloaded.score(QUERY, DOCS).scores, expected)


def test_head_options_are_ignored_with_a_warning(checkpoint: tuple[Path, int]) -> None:
    path, _ = checkpoint
    with pytest.warns(UserWarning, match="pooling_strategy is not used"):
        module = CrossEncoderModule(str(path), config=CrossEncoderConfig(pooling_strategy="mean"))
    assert type(module.model) is SequenceClassificationCrossEncoderModel


def test_re_rank_through_the_cli(tmp_path: Path) -> None:
    from lightning_ir.callbacks import ReRankCallback
    from lightning_ir.cli import LightningIRCLI
    from tests.fixtures import write_collection
    from tests.models.test_t5_training import _re_rank_recipe

    directory = _save_classifier(tmp_path / "model", "bert", 1)
    collection = write_collection(tmp_path / "collection")
    recipe = _re_rank_recipe(tmp_path, {"model_name_or_path": str(directory)}, collection)
    cli = LightningIRCLI(args=["re_rank", f"--config={recipe}"])
    assert isinstance(cli.model.model, SequenceClassificationCrossEncoderModel)
    (callback,) = [callback for callback in cli.trainer.callbacks if isinstance(callback, ReRankCallback)]
    queries = dict(line.split("\t", 1) for line in (collection / "queries.tsv").read_text().splitlines())
    docs = dict(line.split("\t", 1) for line in (collection / "docs.tsv").read_text().splitlines())
    ranked: dict[str, list[tuple[str, float]]] = {}
    for line in callback.run_paths[0].read_text().splitlines():
        query_id, _, doc_id, _, score, _ = line.split()
        ranked.setdefault(query_id, []).append((doc_id, float(score)))
    assert ranked
    for query_id, ranking in ranked.items():
        pairs = [[queries[query_id], docs[doc_id]] for doc_id, _ in ranking]
        expected = _reference_scores_for_pairs(directory, pairs)
        torch.testing.assert_close(torch.tensor([score for _, score in ranking]), expected, atol=1e-4, rtol=1e-4)


def _reference_scores_for_pairs(path: Path, pairs: list[list[str]]) -> torch.Tensor:
    from sentence_transformers import CrossEncoder

    return torch.as_tensor(CrossEncoder(str(path), device="cpu").predict(pairs), dtype=torch.float32)
