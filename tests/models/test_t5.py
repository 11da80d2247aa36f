"""T5 re-rankers load from their published layouts and score as transformers' own T5 forward does.

The tiny checkpoints are written the way their families write them: ``T5ForConditionalGeneration.save_pretrained``
(monoT5 / RankT5 on the original, tied T5), the same with a separate ``lm_head.weight`` and
``"tie_word_embeddings": false`` as transformers 4 saved T5 v1.1 / FLAN-T5 / mT5 checkpoints, and
``SentenceTransformer.save`` of a T5 encoder with pooling and a one-output Dense (the encoder-only RankT5). No T5
tokenizer file exists offline, so a small SentencePiece-style Unigram vocabulary (T5's layout: ``<pad>``, ``</s>``,
``<unk>``, pieces, then ``<extra_id_*>`` from the highest id down) is built into a real ``T5Tokenizer``.
"""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModel, AutoModelForSeq2SeqLM, AutoTokenizer, T5EncoderModel, T5Tokenizer

from lightning_ir import CrossEncoderModule, T5CrossEncoderConfig, T5CrossEncoderModel, T5CrossEncoderTokenizer
from lightning_ir.base.layouts import layout_table
from tests.fixtures import QUERIES, TOPICS

QUERY = "what do cats eat"
DOCS = [
    "Cats are carnivores and eat meat.",
    "The stock market fell today.",
    "Cats hunt mice and birds for food.",
    "",
    "Mount Everest is 8,849 metres tall.",
]
WORDS = sorted(
    {word.lower().strip(".,") for text in [QUERY, *DOCS, *QUERIES.values()] for word in text.split()}
    | {word for _, text in TOPICS for word in text.split()}
    | {"true", "false", "yes", "no", "Query", "Document", "Relevant"}
)
NUM_EXTRA_IDS = 20
VARIANTS = {
    "t5": ("t5", True),  # the original T5 (monoT5-base): head tied to the embedding, outputs scaled
    "t5-v1.1": ("t5", False),  # T5 v1.1 / FLAN-T5: separate head, no scaling
    "mt5": ("mt5", False),  # mT5 (the multilingual monoT5 models)
}


def t5_tokenizer() -> T5Tokenizer:
    """A T5 Unigram tokenizer over a small vocabulary (whole words, and characters for everything else)."""
    chars = string.ascii_letters + string.digits + string.punctuation
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [("▁" + word, -6.0) for word in WORDS]
    pieces += [("▁" + char, -9.0) for char in chars] + [(char, -10.0) for char in chars]
    pieces += [(f"<extra_id_{i}>", 0.0) for i in reversed(range(NUM_EXTRA_IDS))]
    return T5Tokenizer(vocab=pieces, extra_ids=NUM_EXTRA_IDS)


def _untie_head(directory: Path) -> None:
    """Give the checkpoint its own ``lm_head.weight`` and ``"tie_word_embeddings": false`` (transformers 4 layout)."""
    weights = {name: tensor.clone() for name, tensor in load_file(str(directory / "model.safetensors")).items()}
    weights["lm_head.weight"] = torch.randn_like(weights["shared.weight"])
    save_file(weights, str(directory / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((directory / "config.json").read_text())
    config.pop("scale_decoder_outputs", None)
    config["tie_word_embeddings"] = False
    (directory / "config.json").write_text(json.dumps(config, indent=2))


def save_tiny_t5(directory: Path, variant: str = "t5", **config_fields: Any) -> Path:
    """Save a seeded random ``T5ForConditionalGeneration`` (or mT5) with its tokenizer, as its family saves it.

    Args:
        directory: Where to write it.
        variant: A key of ``VARIANTS``.
        **config_fields: Extra ``config.json`` fields (e.g. ``decoder_strategy="rank"``).
    """
    model_type, tied = VARIANTS[variant]
    tokenizer = t5_tokenizer()
    torch.manual_seed(0)
    sizes = {"d_model": 32, "d_kv": 16, "d_ff": 64, "num_layers": 2, "num_heads": 2, "decoder_start_token_id": 0}
    config = AutoConfig.for_model(model_type, vocab_size=len(tokenizer) + 12, **sizes)
    AutoModelForSeq2SeqLM.from_config(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    if not tied:
        _untie_head(directory)
    if config_fields:
        data = json.loads((directory / "config.json").read_text())
        (directory / "config.json").write_text(json.dumps({**data, **config_fields}, indent=2))
    return directory


def save_encoder_only_rankt5(directory: Path, pooling: str) -> Path:
    """``SentenceTransformer.save`` of a tiny T5 encoder, ``pooling`` (cls/mean) and a Dense layer to one score."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    source = save_tiny_t5(directory.parent / f"{directory.name}-source")
    torch.manual_seed(1)
    modules = [Transformer(str(source)), Pooling(32, pooling), Dense(32, 1, activation_function=torch.nn.Identity())]
    SentenceTransformer(modules=modules, device="cpu").save(str(directory))
    return directory


def prompts(strategy: str | None) -> list[str]:
    suffix = " Relevant:" if strategy == "mono" else ""
    return [f"Query: {QUERY} Document: {doc}{suffix}" for doc in DOCS]


def reference_scores(path: Path, strategy: str, tokens: dict[str, str] | None = None) -> torch.Tensor:
    """The reference scores: the first decoder step of transformers' ``...ForConditionalGeneration``, as pygaggle."""
    tokens = {"true": "▁true", "false": "▁false", "score": "<extra_id_10>", **(tokens or {})}
    model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoding = tokenizer(prompts(strategy), padding=True, return_tensors="pt")
    start = torch.full((len(DOCS), 1), model.config.decoder_start_token_id)
    with torch.no_grad():
        logits = model(**encoding, decoder_input_ids=start).logits[:, 0]
    if strategy == "rank":
        return logits[:, tokenizer.convert_tokens_to_ids(tokens["score"])]
    pair = logits[:, tokenizer.convert_tokens_to_ids([tokens["false"], tokens["true"]])]
    return torch.log_softmax(pair, dim=-1)[:, 1]


def encoder_only_reference(path: Path, pooling: str) -> torch.Tensor:
    """``T5EncoderModel`` + the pooling + the Dense weights of ``2_Dense``."""
    encoder = T5EncoderModel.from_pretrained(path).eval()
    encoding = AutoTokenizer.from_pretrained(path)(prompts(None), padding=True, return_tensors="pt")
    dense = load_file(str(path / "2_Dense" / "model.safetensors"))
    with torch.no_grad():
        hidden = encoder(**encoding).last_hidden_state
        if pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = encoding["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1)
        return torch.nn.functional.linear(pooled, dense["linear.weight"], dense["linear.bias"]).view(-1)


def assert_same_scores(scores: torch.Tensor, expected: torch.Tensor) -> None:
    assert (scores.detach() - expected).abs().max().item() <= 1e-4
    assert scores.argsort(descending=True).tolist() == expected.argsort(descending=True).tolist()


@pytest.fixture(params=list(VARIANTS))
def checkpoint(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return save_tiny_t5(tmp_path / request.param, request.param)


def test_t5_for_conditional_generation_loads_as_monot5_and_scores_as_transformers(checkpoint: Path) -> None:
    module = CrossEncoderModule(str(checkpoint))
    assert type(module.model) is T5CrossEncoderModel
    assert type(module.tokenizer) is T5CrossEncoderTokenizer
    assert module.config.decoder_strategy == "mono"
    assert_same_scores(module.score(QUERY, DOCS).scores, reference_scores(checkpoint, "mono"))


def test_rankt5_from_an_explicit_config_scores_the_score_token_logit(checkpoint: Path) -> None:
    module = CrossEncoderModule(str(checkpoint), config=T5CrossEncoderConfig(decoder_strategy="rank"))
    assert module.config.decoder_strategy == "rank"
    assert_same_scores(module.score(QUERY, DOCS).scores, reference_scores(checkpoint, "rank"))


def test_rankt5_is_recognised_by_its_config_flag(tmp_path: Path) -> None:
    path = save_tiny_t5(tmp_path / "rankt5", "t5-v1.1", decoder_strategy="rank")
    module = CrossEncoderModule(str(path))
    assert type(module.model) is T5CrossEncoderModel
    assert module.config.decoder_strategy == "rank"
    assert_same_scores(module.score(QUERY, DOCS).scores, reference_scores(path, "rank"))


def test_other_scoring_tokens_are_looked_up_in_the_tokenizer(tmp_path: Path) -> None:
    path = save_tiny_t5(tmp_path / "mt5", "mt5")
    config = T5CrossEncoderConfig(true_token="▁yes", false_token="▁no")
    module = CrossEncoderModule(str(path), config=config)
    expected = reference_scores(path, "mono", {"true": "▁yes", "false": "▁no"})
    assert_same_scores(module.score(QUERY, DOCS).scores, expected)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_encoder_only_rankt5_is_recognised_and_scores_as_its_encoder_and_head(tmp_path: Path, pooling: str) -> None:
    from sentence_transformers import SentenceTransformer

    path = save_encoder_only_rankt5(tmp_path / "rankt5-enc", pooling)
    module = CrossEncoderModule(str(path))
    assert type(module.model) is T5CrossEncoderModel
    assert module.config.decoder_strategy is None
    assert module.config.pooling_strategy == {"mean": "mean", "cls": "first"}[pooling]
    assert module.config.linear_bias
    scores = module.score(QUERY, DOCS).scores
    assert_same_scores(scores, encoder_only_reference(path, pooling))
    encoded = SentenceTransformer(str(path), device="cpu").encode(prompts(None), convert_to_tensor=True)
    assert_same_scores(scores, encoded[:, 0].float().cpu())


def test_encoder_only_model_from_a_plain_t5_gets_a_fresh_head(tmp_path: Path) -> None:
    path = save_tiny_t5(tmp_path / "t5")
    module = CrossEncoderModule(str(path), config=T5CrossEncoderConfig(decoder_strategy=None, pooling_strategy="mean"))
    assert type(module.model.backbone) is T5EncoderModel
    assert torch.isfinite(module.score(QUERY, DOCS).scores).all()


@pytest.mark.parametrize("strategy", ["mono", "rank", None])
def test_save_and_load_round_trip_gives_identical_scores(tmp_path: Path, strategy: str | None) -> None:
    if strategy is None:
        source = save_encoder_only_rankt5(tmp_path / "enc", "mean")
        module = CrossEncoderModule(str(source))
    else:
        source = save_tiny_t5(tmp_path / "t5", "t5-v1.1")
        module = CrossEncoderModule(str(source), config=T5CrossEncoderConfig(decoder_strategy=strategy))
    expected = module.score(QUERY, DOCS).scores
    module.save_pretrained(tmp_path / "saved")
    shutil.rmtree(source)  # the save stands on its own
    reloaded = CrossEncoderModule(str(tmp_path / "saved"))
    assert type(reloaded.model) is T5CrossEncoderModel
    assert type(reloaded.tokenizer) is T5CrossEncoderTokenizer
    assert reloaded.config.to_added_args_dict() == module.config.to_added_args_dict()
    # equal up to the last bit of float32 rounding: a reloaded weight's memory alignment can change the summation order
    torch.testing.assert_close(reloaded.score(QUERY, DOCS).scores, expected, rtol=0, atol=1e-6)
    assert type(AutoModel.from_pretrained(tmp_path / "saved")) is T5CrossEncoderModel


def test_head_keeps_only_the_scoring_rows(tmp_path: Path) -> None:
    path = save_tiny_t5(tmp_path / "t5", "t5-v1.1")
    module = CrossEncoderModule(str(path))
    reference = AutoModelForSeq2SeqLM.from_pretrained(path)
    ids = AutoTokenizer.from_pretrained(path).convert_tokens_to_ids(["▁false", "▁true"])
    torch.testing.assert_close(module.model.linear.weight, reference.lm_head.weight[ids])
    assert not any("lm_head" in name for name, _ in module.model.named_parameters())


def test_training_step_reaches_the_head_and_the_encoder(checkpoint: Path) -> None:
    module = CrossEncoderModule(str(checkpoint))
    module.train()
    batch = type("Batch", (), {"queries": [QUERY], "docs": [DOCS], "encodings": None})()
    loss = torch.nn.functional.cross_entropy(module(batch).scores.view(1, -1), torch.tensor([0]))
    loss.backward()
    for parameter in (
        module.model.linear.weight,
        module.model.backbone.encoder.block[0].layer[0].SelfAttention.q.weight,
    ):
        assert parameter.grad is not None
        assert torch.isfinite(parameter.grad).all()
        assert parameter.grad.abs().sum() > 0


def test_layouts_are_listed() -> None:
    table = layout_table()
    assert "monoT5 / RankT5" in table
    assert "RankT5 encoder-only" in table
