"""SPLADE pooling computes the masked-LM logits in bounded chunks and equals pooling the whole logits tensor."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_ir import BiEncoderModule, SpladeConfig
from lightning_ir.bi_encoder.model import BiEncoderModel
from lightning_ir.models.splade import pool_vocabulary

VOCAB, HIDDEN = 50, 8


class RecordingHead(torch.nn.Module):
    """A linear vocabulary head with ``log(1 + relu)`` that records how many tokens each call gets."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(HIDDEN, VOCAB)
        self.sizes: list[int] = []

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        self.sizes.append(states.shape[0])
        return torch.log1p(torch.relu(self.linear(states)))


def _inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    hidden_states = torch.randn(5, 9, HIDDEN, generator=generator)
    attention_mask = torch.zeros(5, 9, dtype=torch.long)
    for row, length in enumerate([9, 1, 4, 7, 2]):
        attention_mask[row, :length] = 1
    return hidden_states, attention_mask


def _naive(
    hidden_states: torch.Tensor, attention_mask: torch.Tensor, head: RecordingHead, strategy: str
) -> torch.Tensor:
    """Pool the whole ``(batch, seq, vocab)`` tensor, as an unchunked implementation does."""
    vectors = head(hidden_states.flatten(0, 1)).view(*hidden_states.shape[:2], VOCAB)
    mask = attention_mask.unsqueeze(-1).float()
    if strategy == "first":
        return vectors[:, 0]
    if strategy == "max":
        return (vectors * mask).amax(dim=1)
    summed = (vectors * mask).sum(dim=1)
    return summed if strategy == "sum" else summed / mask.sum(dim=1)


@pytest.mark.parametrize("strategy", ["max", "sum", "mean", "first"])
@pytest.mark.parametrize("chunk_size", [1, 3, 8, None])
def test_chunked_pooling_equals_pooling_all_logits(strategy: str, chunk_size: int | None) -> None:
    hidden_states, attention_mask = _inputs()
    head = RecordingHead()
    pooled = pool_vocabulary(hidden_states, attention_mask, head, strategy, chunk_size)  # type: ignore[arg-type]
    torch.testing.assert_close(pooled, _naive(hidden_states, attention_mask, head, strategy))


@pytest.mark.parametrize("chunk_size", [1, 3, 8])
def test_the_head_sees_at_most_chunk_size_tokens_and_no_padding(chunk_size: int) -> None:
    hidden_states, attention_mask = _inputs()
    head = RecordingHead()
    pool_vocabulary(hidden_states, attention_mask, head, "max", chunk_size)
    assert max(head.sizes) <= chunk_size
    assert sum(head.sizes) == int(attention_mask.sum())


@pytest.mark.parametrize("strategy", ["max", "sum"])
def test_chunked_gradients_equal_unchunked_gradients(strategy: str) -> None:
    """In training, each chunk is recomputed in the backward pass; the gradients are those of the unchunked model."""
    gradients = []
    for chunk_size in (None, 3):
        hidden_states, attention_mask = _inputs()
        hidden_states.requires_grad_(True)
        torch.manual_seed(0)
        head = RecordingHead()
        pooled = pool_vocabulary(hidden_states, attention_mask, head, strategy, chunk_size)  # type: ignore[arg-type]
        (pooled * torch.linspace(-1, 1, VOCAB)).sum().backward()
        assert hidden_states.grad is not None
        assert head.linear.weight.grad is not None
        gradients.append((hidden_states.grad, head.linear.weight.grad))
        if chunk_size is not None:  # the forward pass, then each chunk once more for the backward pass
            assert len(head.sizes) == 2 * -(-int(attention_mask.sum()) // chunk_size)
    torch.testing.assert_close(gradients[1][0], gradients[0][0])
    torch.testing.assert_close(gradients[1][1], gradients[0][1])


def test_no_tokens_give_zero_vectors() -> None:
    hidden_states, attention_mask = _inputs()
    pooled = pool_vocabulary(hidden_states, torch.zeros_like(attention_mask), RecordingHead(), "max", 4)
    assert pooled.shape == (5, VOCAB)
    assert not pooled.any()


@pytest.mark.filterwarnings("ignore:.*masked-LM weights.*initialised randomly")
def test_splade_model_computes_the_mlm_logits_in_chunks(tiny_bert_dir: Path) -> None:
    """The masked-LM head of a SPLADE model never gets more than ``logits_chunk_size`` tokens at once."""
    torch.manual_seed(0)
    module = BiEncoderModule(str(tiny_bert_dir), config=SpladeConfig(logits_chunk_size=8, doc_length=64))
    model = module.model
    assert model.projection is not None
    sizes: list[int] = []
    model.projection.register_forward_hook(lambda _module, inputs, _output: sizes.append(inputs[0].shape[1]))
    docs = ["a short text", "a much longer text " * 8, "", "three more words"]
    encoding = module.tokenizer.tokenize_doc(docs)
    chunked = model.encode_doc(encoding).embeddings
    assert sizes
    assert max(sizes) <= 8
    assert sum(sizes) == int(encoding["attention_mask"].sum())
    model.config.logits_chunk_size = None
    torch.testing.assert_close(model.encode_doc(encoding).embeddings, chunked)
    materialised = BiEncoderModel._encode(model, encoding, pooling_strategy="max")  # (batch, seq, vocab) logits
    assert chunked.shape == (4, 1, model.backbone_config.vocab_size)
    torch.testing.assert_close(materialised.embeddings, chunked)
