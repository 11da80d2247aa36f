"""PyLate folders (a sentence-transformers Transformer + ``pylate.models.Dense``) load and score as PyLate does.

The folder ``tests/models/reference/colbert/pylate`` is a tiny seeded BERT saved by PyLate's own ``ColBERT.save``
(with the ``[Q] `` / ``[D] `` prefix tokens it adds to the vocabulary); its PyLate scores were recorded by
``tests/models/reference/colbert_pylate_reference.py`` (rerun it when the layout or PyLate changes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lightning_ir import BiEncoderModule, ColConfig, ColModel
from lightning_ir.base.layouts import CheckpointFiles, detect_layout, layout_table
from lightning_ir.models.col import PYLATE_LAYOUT
from tests.models.reference.colbert_fixtures import assert_matches, reference_scores, score_matrix, variant_folder
from tests.models.reference.colbert_pylate_reference import FOLDERS, VARIANTS

FOLDER = FOLDERS / "pylate"


def _edit(folder: Path, file_name: str, change: Any) -> None:
    path = folder / file_name
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


@pytest.mark.parametrize("variant", list(VARIANTS["pylate"]))
def test_scores_match_pylate(variant: str, tmp_path: Path) -> None:
    module = BiEncoderModule(str(variant_folder("pylate", variant, tmp_path)))
    assert type(module.model) is ColModel
    (reference,) = reference_scores("pylate", variant).values()
    assert_matches(score_matrix(module), reference)


def test_the_layout_and_its_settings_are_read_from_the_files() -> None:
    layout, config = detect_layout(CheckpointFiles(str(FOLDER)), "bi-encoder") or (None, None)
    assert layout is PYLATE_LAYOUT
    assert isinstance(config, ColConfig)
    assert (config.query_length, config.doc_length) == (16, 24)
    assert (config.query_token, config.doc_token, config.add_marker_tokens) == ("[Q] ", "[D] ", True)
    assert (config.query_expansion, config.attend_to_query_expanded_tokens) == (True, False)
    assert config.doc_mask_scoring_tokens == "punctuation"
    assert (config.projection, config.embedding_dim, config.normalize) == ("linear_no_bias", 8, True)
    assert PYLATE_LAYOUT.family in layout_table()


def test_the_prefix_tokens_pylate_added_are_reused() -> None:
    module = BiEncoderModule(str(FOLDER))
    vocabulary = module.tokenizer.get_vocab()
    assert len(module.tokenizer) == module.model.backbone.get_input_embeddings().num_embeddings
    encodings = module.tokenizer.tokenize(queries=["what do cats eat"], docs=["cats eat fish."])
    assert encodings["query_encoding"]["input_ids"][0, :2].tolist() == [vocabulary["[CLS]"], vocabulary["[Q] "]]
    assert encodings["doc_encoding"]["input_ids"][0, :2].tolist() == [vocabulary["[CLS]"], vocabulary["[D] "]]


def test_the_skiplist_words_leave_scoring(tmp_path: Path) -> None:
    module = BiEncoderModule(str(variant_folder("pylate", "no-expansion-skiplist", tmp_path)))
    assert module.config.doc_mask_scoring_tokens == ["the", "and", ",", "."]
    encoding = module.tokenizer.tokenize_doc(["the cats and fish."])
    mask = module.model.encode_doc(encoding).scoring_mask[0]
    vocabulary = module.tokenizer.get_vocab()
    kept = encoding["input_ids"][0][mask].tolist()
    assert kept == [vocabulary[token] for token in ("[CLS]", "[D] ", "cats", "fish", "[SEP]")]


def test_an_older_pylate_folder_with_a_sentence_transformers_dense_is_recognised(tmp_path: Path) -> None:
    folder = variant_folder("pylate", "default", tmp_path)
    dense = "sentence_transformers.models.Dense"
    _edit(folder, "modules.json", lambda modules: [modules[0], {**modules[1], "type": dense}])
    module = BiEncoderModule(str(folder))
    (reference,) = reference_scores("pylate", "default").values()
    assert_matches(score_matrix(module), reference)


def test_defaults_apply_to_settings_the_folder_lacks(tmp_path: Path) -> None:
    folder = variant_folder("pylate", "default", tmp_path)
    keep = {"query_prefix", "document_prefix"}
    _edit(folder, "config_sentence_transformers.json", lambda settings: {k: settings[k] for k in keep})
    config = PYLATE_LAYOUT.detect(CheckpointFiles(str(folder)))
    assert isinstance(config, ColConfig)
    assert (config.query_length, config.doc_length, config.query_expansion) == (32, 180, True)
    assert (config.attend_to_query_expanded_tokens, config.doc_mask_scoring_tokens) == (False, "punctuation")


def test_empty_prefixes_insert_no_marker(tmp_path: Path) -> None:
    folder = variant_folder("pylate", "default", tmp_path)
    _edit(folder, "config_sentence_transformers.json", lambda s: {**s, "query_prefix": "", "document_prefix": ""})
    module = BiEncoderModule(str(folder))
    assert module.config.add_marker_tokens is False
    ids = module.tokenizer.tokenize_query(["cats"])["input_ids"][0]
    assert module.tokenizer.convert_ids_to_tokens(ids[:3].tolist()) == ["[CLS]", "cats", "[SEP]"]


@pytest.mark.parametrize(
    ("file_name", "change", "message"),
    [
        ("1_Dense/config.json", lambda c: {**c, "activation_function": "torch.nn.modules.activation.Tanh"}, "Tanh"),
        ("1_Dense/config.json", lambda c: {**c, "use_residual": True}, "use_residual"),
        ("config_sentence_transformers.json", lambda s: {**s, "query_prefix": ""}, "only one of queries"),
        ("config_sentence_transformers.json", lambda s: {**s, "similarity_fn_name": "cosine"}, "similarity_fn_name"),
        ("modules.json", lambda m: [*m, {**m[1], "idx": 2, "name": "2", "path": "2_Dense"}], "exactly one Dense"),
    ],
    ids=["activation", "residual", "one-prefix", "similarity", "two-dense"],
)
def test_what_pylate_does_that_lightning_ir_does_not_reproduce_is_refused(
    file_name: str, change: Any, message: str, tmp_path: Path
) -> None:
    folder = variant_folder("pylate", "default", tmp_path)
    _edit(folder, file_name, change)
    with pytest.raises(ValueError, match=message):
        BiEncoderModule(str(folder))


def test_lower_casing_is_refused_only_where_the_tokenizer_keeps_the_case(tmp_path: Path) -> None:
    folder = variant_folder("pylate", "default", tmp_path)
    _edit(folder, "sentence_bert_config.json", lambda c: {**c, "do_lower_case": True})
    assert isinstance(PYLATE_LAYOUT.detect(CheckpointFiles(str(folder))), ColConfig)  # the tokenizer lower-cases
    _edit(folder, "tokenizer_config.json", lambda c: {**c, "do_lower_case": False})
    with pytest.raises(ValueError, match="do_lower_case with a tokenizer that keeps the case"):
        PYLATE_LAYOUT.detect(CheckpointFiles(str(folder)))


def test_a_given_config_reads_the_folder_as_pylate_does(tmp_path: Path) -> None:
    config = PYLATE_LAYOUT.detect(CheckpointFiles(str(FOLDER)))
    assert isinstance(config, ColConfig)
    model = ColModel.from_pretrained(str(FOLDER), config=config)
    module = BiEncoderModule(model=model)
    (reference,) = reference_scores("pylate", "default").values()
    assert_matches(score_matrix(module), reference)
