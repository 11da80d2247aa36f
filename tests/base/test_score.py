"""``LightningIRModule.score`` with queries or documents missing: empty scores, never an error from the tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_ir import (
    BiEncoderConfig,
    BiEncoderModule,
    BiEncoderOutput,
    CrossEncoderConfig,
    CrossEncoderModule,
    CrossEncoderOutput,
    LightningIRModule,
)


@pytest.fixture(scope="module", params=["bi-encoder", "cross-encoder"])
def module(request: pytest.FixtureRequest, tiny_bert_dir: Path) -> LightningIRModule:
    torch.manual_seed(0)
    if request.param == "bi-encoder":
        return BiEncoderModule(str(tiny_bert_dir), config=BiEncoderConfig(embedding_dim=8, doc_length=16))
    return CrossEncoderModule(str(tiny_bert_dir), config=CrossEncoderConfig(doc_length=24))


def _output_class(module: LightningIRModule) -> type:
    return BiEncoderOutput if isinstance(module, BiEncoderModule) else CrossEncoderOutput


@pytest.mark.parametrize(
    ("queries", "docs"),
    [([], []), ("a query", []), (["a query"], [[]]), (["one", "two"], [[], []])],
    ids=["no-queries", "one-query-no-docs", "one-query-empty-list", "two-queries-no-docs"],
)
def test_no_documents_give_empty_scores(module: LightningIRModule, queries: list[str], docs: list) -> None:
    output = module.score(queries, docs)
    assert type(output) is _output_class(module)
    assert output.scores.shape == (0,)


def test_a_query_without_documents_adds_no_scores(module: LightningIRModule) -> None:
    query, docs = "what do cats eat", ["cats eat meat", "stocks fell"]
    expected = module.score(query, docs).scores
    for queries, doc_lists in (([query, "no docs"], [docs, []]), (["no docs", query], [[], docs])):
        torch.testing.assert_close(module.score(queries, doc_lists).scores, expected, atol=1e-5, rtol=1e-5)


def test_mismatched_documents_are_a_clear_error(module: LightningIRModule) -> None:
    name = type(module).__name__
    with pytest.raises(ValueError, match=rf"{name}.score: 2 queries but 1 lists of documents"):
        module.score(["one", "two"], ["a", "b"])
    with pytest.raises(ValueError, match=rf"{name}.score: docs mixes documents and lists of documents"):
        module.score(["one", "two"], [["a"], "b"])
