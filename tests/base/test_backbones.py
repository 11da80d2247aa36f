"""Any Hugging Face encoder backbone can carry a bi-encoder or a cross-encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_ir import BiEncoderConfig, BiEncoderModule, CrossEncoderModule
from tests.conftest import save_tiny_backbone

BACKBONES = ["bert", "electra", "roberta", "distilbert", "modernbert"]


@pytest.fixture(scope="module", params=BACKBONES)
def backbone_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_backbone(tmp_path_factory.mktemp(request.param), request.param)


def test_bi_encoder_on_backbone(backbone_dir: Path, tmp_path: Path) -> None:
    module = BiEncoderModule(str(backbone_dir), config=BiEncoderConfig(embedding_dim=16, query_length=8, doc_length=16))
    assert module.model.backbone.config.hidden_size == module.config.hidden_size
    output = module.score("cats and dogs", ["a cat", "a dog and a cat"])
    assert output.scores.shape == (2,)
    assert output.query_embeddings.embeddings.shape == (1, 1, 16)
    module.save_pretrained(tmp_path)
    reloaded = BiEncoderModule(str(tmp_path))
    torch.testing.assert_close(reloaded.score("cats and dogs", ["a cat", "a dog and a cat"]).scores, output.scores)


def test_cross_encoder_on_backbone(backbone_dir: Path) -> None:
    module = CrossEncoderModule(str(backbone_dir))
    output = module.score("cats and dogs", ["a cat", "a dog and a cat"])
    assert output.scores.shape == (2,)
    assert torch.isfinite(output.scores).all()
