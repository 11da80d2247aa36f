"""T5CrossEncoderTokenizer: the prompt, as the reference tokenises it, and truncation that keeps the prompt whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from lightning_ir import CrossEncoderTokenizer, T5CrossEncoderConfig, T5CrossEncoderTokenizer
from tests.models.test_t5 import DOCS, QUERY, save_tiny_t5


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_t5(tmp_path_factory.mktemp("t5-tokenizer") / "t5")


@pytest.mark.parametrize(
    ("strategy", "suffix"), [("mono", " Relevant:"), ("rank", ""), (None, "")], ids=["mono", "rank", "encoder-only"]
)
def test_inputs_that_fit_are_tokenised_as_the_reference_prompt(t5_dir: Path, strategy: str | None, suffix: str) -> None:
    config = T5CrossEncoderConfig(decoder_strategy=strategy)
    tokenizer = CrossEncoderTokenizer.from_pretrained(str(t5_dir), config=config)
    assert type(tokenizer) is T5CrossEncoderTokenizer  # the class registered for the config
    encoding = tokenizer.tokenize(QUERY, DOCS)["encoding"]
    texts = [f"Query: {QUERY} Document: {doc}{suffix}" for doc in DOCS]
    expected = AutoTokenizer.from_pretrained(t5_dir)(texts, padding=True, return_tensors="pt")
    assert encoding["input_ids"].tolist() == expected["input_ids"].tolist()
    assert encoding["attention_mask"].tolist() == expected["attention_mask"].tolist()


def test_long_documents_are_cut_and_the_prompt_is_kept(t5_dir: Path) -> None:
    tokenizer = T5CrossEncoderTokenizer.from_pretrained(str(t5_dir), query_length=4, doc_length=20)
    backbone = tokenizer.tokenizer
    long_query = "which fruit grows on orchard trees and is red"
    encoding = tokenizer.tokenize([long_query], [["cats eat meat " * 30, "short doc"]])["encoding"]
    assert encoding["input_ids"].shape[1] == 20
    first, second = (backbone.decode(ids, skip_special_tokens=True) for ids in encoding["input_ids"])
    assert first.startswith("Query: which fruit grows on Document: cats eat meat")
    assert first.endswith("Relevant:")
    assert second == "Query: which fruit grows on Document: short doc Relevant:"
    assert encoding["input_ids"][0, -1].item() == backbone.eos_token_id


def test_a_query_longer_than_the_whole_input_still_fits(t5_dir: Path) -> None:
    tokenizer = T5CrossEncoderTokenizer.from_pretrained(str(t5_dir), query_length=30, doc_length=8)
    encoding = tokenizer.tokenize(["word " * 40], [["a document"]])["encoding"]
    assert encoding["input_ids"].shape[1] <= 8


def test_unknown_decoder_strategy_is_refused(t5_dir: Path) -> None:
    with pytest.raises(ValueError, match="decoder_strategy must be one of the allowed values 'mono', 'rank', None"):
        T5CrossEncoderTokenizer.from_pretrained(str(t5_dir), decoder_strategy="duo")
