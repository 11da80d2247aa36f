from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir import CrossEncoderConfig, CrossEncoderModule


def test_query_is_cut_to_query_length_and_pair_to_doc_length(tiny_bert_dir: Path) -> None:
    module = CrossEncoderModule(str(tiny_bert_dir), config=CrossEncoderConfig(query_length=4, doc_length=16))
    tokenizer = module.tokenizer
    query = "one two three four five six seven"
    assert tokenizer.truncate_queries([query]) == ["one two three four"]
    encoding = tokenizer.tokenize([query], [["alpha beta " * 20, "short"]])["encoding"]
    assert encoding["input_ids"].shape == (2, 16)
    tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"][1].tolist())
    assert tokens[:7] == ["[CLS]", "one", "two", "three", "four", "[SEP]", "short"]


def test_flat_documents_need_matching_counts(tiny_bert_dir: Path) -> None:
    tokenizer = CrossEncoderModule(str(tiny_bert_dir)).tokenizer
    assert tokenizer.tokenize(["q1", "q2"], ["a", "b", "c"], num_docs=[1, 2])["encoding"]["input_ids"].shape[0] == 3
    with pytest.raises(ValueError, match="num_docs"):
        tokenizer.tokenize(["q1", "q2"], ["a", "b", "c"], num_docs=[2, 2])


def test_in_batch_losses_are_refused(tiny_bert_dir: Path) -> None:
    from lightning_ir.loss import InBatchCrossEntropy

    with pytest.raises(ValueError, match="bi-encoder"):
        CrossEncoderModule(str(tiny_bert_dir), loss_functions=[InBatchCrossEntropy()])
