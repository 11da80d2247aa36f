"""Saving a module: a model card beside the weights, atomic replacement of Lightning IR folders only."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.atomic import OverwriteRefusedError
from lightning_ir.base.saving import MODEL_CARD, is_lightning_ir_model_dir


@pytest.mark.parametrize("module_class", [BiEncoderModule, CrossEncoderModule])
def test_saved_folder_has_a_model_card_and_scores_the_same(
    tiny_bert_dir: Path, tmp_path: Path, module_class: type
) -> None:
    module = module_class(str(tiny_bert_dir))
    target = tmp_path / "saved"
    module.save_pretrained(target)
    card = (target / MODEL_CARD).read_text(encoding="utf-8")
    assert card.startswith("---\nlibrary_name: lightning-ir\n")
    assert f"from lightning_ir import {module_class.__name__}" in card
    assert f'{module_class.__name__}("saved").score(' in card
    assert type(module.model.config).__name__ in card
    assert is_lightning_ir_model_dir(target)
    loaded = module_class(str(target))
    docs = ["a cat eats fish", "stocks fell sharply"]
    torch.testing.assert_close(loaded.score("cats", docs).scores, module.score("cats", docs).scores)


def test_saving_again_replaces_only_lightning_ir_folders(tiny_bert_dir: Path, tmp_path: Path) -> None:
    module = BiEncoderModule(str(tiny_bert_dir))
    target = tmp_path / "saved"
    module.save_pretrained(target)
    module.save_pretrained(target)  # its own folder: replaced
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "README.md").write_text("my notes", encoding="utf-8")
    with pytest.raises(OverwriteRefusedError):
        module.save_pretrained(foreign)
    assert (foreign / "README.md").read_text(encoding="utf-8") == "my notes"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes", "saved"]
