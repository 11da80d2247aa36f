"""colbert-ir checkpoints (colbert-ai's ``HF_ColBERT``) load by detection and score as colbert-ai and PyLate do.

The folder ``tests/models/reference/colbert/colbert-ir`` is a tiny seeded BERT saved by colbert-ai's own
``BaseColBERT.save``; its colbert-ai and PyLate scores were recorded by
``tests/models/reference/colbert_pylate_reference.py`` (rerun it when the layout or the references change).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lightning_ir import BiEncoderModule, ColConfig, ColModel
from lightning_ir.base.layouts import CheckpointFiles, detect_layout, layout_table
from lightning_ir.models.col import COLBERT_IR_LAYOUT
from tests.models.reference.colbert_fixtures import (
    assert_matches,
    reference_scores,
    score_matrix,
    variant_folder,
)
from tests.models.reference.colbert_pylate_reference import FOLDERS, VARIANTS

FOLDER = FOLDERS / "colbert-ir"


@pytest.mark.parametrize("variant", list(VARIANTS["colbert-ir"]))
def test_scores_match_colbert_ai_and_pylate(variant: str, tmp_path: Path) -> None:
    module = BiEncoderModule(str(variant_folder("colbert-ir", variant, tmp_path)))
    assert type(module.model) is ColModel
    scores = score_matrix(module)
    expected = reference_scores("colbert-ir", variant)
    assert any(name.startswith("colbert-ai") for name in expected)
    for reference in expected.values():
        assert_matches(scores, reference)


def test_the_layout_and_its_settings_are_read_from_the_files() -> None:
    layout, config = detect_layout(CheckpointFiles(str(FOLDER)), "bi-encoder") or (None, None)
    assert layout is COLBERT_IR_LAYOUT
    assert isinstance(config, ColConfig)
    assert (config.query_length, config.doc_length) == (16, 24)  # query_maxlen and doc_maxlen of artifact.metadata
    assert (config.query_token, config.doc_token, config.add_marker_tokens) == ("[unused0]", "[unused1]", True)
    assert (config.query_expansion, config.attend_to_query_expanded_tokens) == (True, False)
    assert config.doc_mask_scoring_tokens == "punctuation"
    assert (config.projection, config.embedding_dim, config.normalize) == ("linear_no_bias", 8, True)
    assert COLBERT_IR_LAYOUT.family in layout_table()


def test_markers_are_the_vocabulary_tokens_after_cls_and_queries_are_expanded() -> None:
    module = BiEncoderModule(str(FOLDER))
    vocabulary = module.tokenizer.get_vocab()
    assert len(module.tokenizer) == module.model.backbone.get_input_embeddings().num_embeddings == len(vocabulary)
    encodings = module.tokenizer.tokenize(queries=["what do cats eat"], docs=["cats eat fish."])
    query, doc = encodings["query_encoding"], encodings["doc_encoding"]
    assert query["input_ids"][0, :2].tolist() == [vocabulary["[CLS]"], vocabulary["[unused0]"]]
    assert doc["input_ids"][0, :2].tolist() == [vocabulary["[CLS]"], vocabulary["[unused1]"]]
    assert query["input_ids"].shape[1] == 16
    assert (query["input_ids"][0, 7:] == vocabulary["[MASK]"]).all()  # [CLS] [unused0] what do cats eat [SEP]
    assert not query["attention_mask"][0, 7:].any()  # attend_to_mask_tokens is false


def test_a_pytorch_bin_checkpoint_scores_the_same(tmp_path: Path) -> None:
    """Older colbert-ir checkpoints (``colbert-ir/colbertv2.0``) ship ``pytorch_model.bin``."""
    folder = variant_folder("colbert-ir", "default", tmp_path)
    state = load_file(str(folder / "model.safetensors"))
    torch.save(state, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    module = BiEncoderModule(str(folder))
    for reference in reference_scores("colbert-ir", "default").values():
        assert_matches(score_matrix(module), reference)


def test_without_metadata_colbert_ai_defaults_apply(tmp_path: Path) -> None:
    folder = variant_folder("colbert-ir", "default", tmp_path)
    (folder / "artifact.metadata").unlink()
    config = COLBERT_IR_LAYOUT.detect(CheckpointFiles(str(folder)))
    assert isinstance(config, ColConfig)
    assert (config.query_length, config.doc_length) == (32, 220)
    assert (config.query_token, config.doc_token, config.embedding_dim) == ("[unused0]", "[unused1]", 8)


def test_mask_punctuation_false_scores_every_document_token(tmp_path: Path) -> None:
    folder = variant_folder("colbert-ir", "default", tmp_path)
    metadata = json.loads((folder / "artifact.metadata").read_text())
    (folder / "artifact.metadata").write_text(json.dumps({**metadata, "mask_punctuation": False}))
    module = BiEncoderModule(str(folder))
    assert module.config.doc_mask_scoring_tokens is None
    doc = module.model.encode_doc(module.tokenizer.tokenize_doc(["cats!!"]))
    assert doc.scoring_mask.all()


@pytest.mark.parametrize(("key", "value"), [("similarity", "l2"), ("interaction", "flipr")])
def test_settings_colbert_ai_scores_differently_with_are_refused(key: str, value: str, tmp_path: Path) -> None:
    folder = variant_folder("colbert-ir", "default", tmp_path)
    metadata = json.loads((folder / "artifact.metadata").read_text())
    (folder / "artifact.metadata").write_text(json.dumps({**metadata, key: value}))
    with pytest.raises(ValueError, match=rf"artifact.metadata: {key} '{value}' is not supported"):
        BiEncoderModule(str(folder))


def test_a_given_config_of_another_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match=r"has a \(8, 16\) projection without bias.*embedding_dim=4"):
        ColModel.from_pretrained(str(FOLDER), config=ColConfig(embedding_dim=4, doc_length=24))
