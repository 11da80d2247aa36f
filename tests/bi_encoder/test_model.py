from __future__ import annotations

import string
from pathlib import Path

import torch

from lightning_ir import BiEncoderConfig, BiEncoderModule, ColConfig


def test_pooling_strategies(tiny_bert_dir: Path) -> None:
    model = BiEncoderModule(str(tiny_bert_dir), config=BiEncoderConfig(projection=None)).model
    embeddings = torch.tensor([[[1.0, 4.0], [3.0, -2.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    torch.testing.assert_close(model._pooling(embeddings, mask, "first"), torch.tensor([[[1.0, 4.0]]]))
    torch.testing.assert_close(model._pooling(embeddings, mask, "mean"), torch.tensor([[[2.0, 1.0]]]))
    torch.testing.assert_close(model._pooling(embeddings, mask, "sum"), torch.tensor([[[4.0, 2.0]]]))
    torch.testing.assert_close(model._pooling(embeddings, mask, "max"), torch.tensor([[[3.0, 4.0]]]))
    assert model._pooling(embeddings, mask, None) is embeddings
    values = torch.tensor([-1.0, 0.5, 2.0])
    torch.testing.assert_close(model._sparsification(values, "relu"), torch.tensor([0.0, 0.5, 2.0]))
    torch.testing.assert_close(model._sparsification(values, "relu_log"), torch.log1p(torch.tensor([0.0, 0.5, 2.0])))


def test_projection_and_embedding_dim(tiny_bert_dir: Path) -> None:
    module = BiEncoderModule(str(tiny_bert_dir), config=BiEncoderConfig(embedding_dim=7, normalize=True))
    embedding = module.model.encode_query(module.tokenizer.tokenize_query(["a query", "another"]))
    assert embedding.embeddings.shape == (2, 1, 7)
    torch.testing.assert_close(embedding.embeddings.norm(dim=-1), torch.ones(2, 1))
    no_projection = BiEncoderModule(str(tiny_bert_dir), config=BiEncoderConfig(projection=None))
    assert no_projection.config.embedding_dim == 32
    assert no_projection.model.projection is None


def test_colbert_style_scoring_mask_expansion_and_markers(tiny_bert_dir: Path) -> None:
    module = BiEncoderModule(str(tiny_bert_dir), config=ColConfig(query_length=10, doc_length=16, embedding_dim=8))
    tokenizer = module.tokenizer
    query = tokenizer.tokenize_query(["cats?"])
    # [CLS] [QUE] cats ? [SEP] then [MASK] expansion up to query_length
    assert query["input_ids"].shape == (1, 10)
    assert query["input_ids"][0, 1].item() == tokenizer.convert_tokens_to_ids("[QUE]")
    assert (query["input_ids"][0, 5:] == tokenizer.mask_token_id).all()
    assert query["attention_mask"].all()  # ColConfig attends to expanded tokens
    doc = tokenizer.tokenize_doc(["cats, dogs.", "a much longer document about many things"])
    assert doc["input_ids"][0, 1].item() == tokenizer.convert_tokens_to_ids("[DOC]")
    embedding = module.model.encode_doc(doc)
    assert embedding.embeddings.shape == (2, doc["input_ids"].shape[1], 8)
    punctuation = {tokenizer.convert_tokens_to_ids(p) for p in string.punctuation}
    for ids, mask, attention in zip(doc["input_ids"], embedding.scoring_mask, doc["attention_mask"], strict=True):
        for token, scored, attended in zip(ids.tolist(), mask.tolist(), attention.tolist(), strict=True):
            assert scored == (bool(attended) and token not in punctuation)
    assert len(module.tokenizer) == module.model.backbone.get_input_embeddings().num_embeddings


def test_query_expansion_without_attention(tiny_bert_dir: Path) -> None:
    config = BiEncoderConfig(query_expansion=True, attend_to_query_expanded_tokens=False, query_length=8)
    module = BiEncoderModule(str(tiny_bert_dir), config=config)
    query = module.tokenizer.tokenize_query("cats")
    assert query["input_ids"].shape == (1, 8)
    assert query["attention_mask"].tolist() == [[1, 1, 1, 0, 0, 0, 0, 0]]
    mask = module.model._scoring_mask(query["input_ids"], query["attention_mask"], expansion=True)
    assert mask.all()


def test_empty_strings_score(tiny_bert_dir: Path) -> None:
    module = BiEncoderModule(str(tiny_bert_dir), config=ColConfig(embedding_dim=8))
    scores = module.score("", ["", "text"]).scores
    assert torch.isfinite(scores).all()
