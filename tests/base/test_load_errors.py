"""Loading fails early and clearly.

Missing paths, damaged files, unsupported backbones and tokenizer configs are named in the error.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer, BartConfig, T5Config

from lightning_ir import (
    BiEncoderConfig,
    BiEncoderModel,
    BiEncoderModule,
    BiEncoderTokenizer,
    CrossEncoderModule,
    SpladeConfig,
)
from lightning_ir.base.loading import looks_like_local_path

LOADERS: dict[str, Callable[[str], Any]] = {
    "module": BiEncoderModule,
    "cross-module": CrossEncoderModule,
    "model": BiEncoderModel.from_pretrained,
    "config": BiEncoderConfig.from_pretrained,
    "tokenizer": BiEncoderTokenizer.from_pretrained,
}


@pytest.fixture(scope="module")
def saved_dir(tiny_bert_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny bi-encoder (config.json, model.safetensors, tokenizer files)."""
    directory = tmp_path_factory.mktemp("saved")
    config = BiEncoderConfig(embedding_dim=8, query_length=8, doc_length=16)
    BiEncoderModule(str(tiny_bert_dir), config=config).save_pretrained(directory)
    return directory


@pytest.fixture
def model_copy(saved_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved_dir, tmp_path / "model"))


# ---------------------------------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS.values(), ids=LOADERS.keys())
@pytest.mark.parametrize("kind", ["absolute", "dot-slash", "dot-dot-slash", "existing-parent"])
def test_missing_local_directory_is_named(
    loader: Callable[[str], Any], kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "mymodels").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    name = {
        "absolute": str(tmp_path / "mymodels" / "typo"),
        "dot-slash": "./typo",
        "dot-dot-slash": "../mymodels/typo",
        "existing-parent": "mymodels/typo",
    }[kind]
    if kind == "existing-parent":
        monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such directory") as error:
        loader(name)
    assert repr(name) in str(error.value)
    assert "Repo id" not in str(error.value)


def test_module_names_its_argument(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"BiEncoderModule: model_name_or_path='.*nope': no such directory"):
        BiEncoderModule(str(tmp_path / "nope"))


def test_hub_ids_are_not_taken_for_local_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert not looks_like_local_path("bert-base-uncased")
    assert not looks_like_local_path("sentence-transformers/all-MiniLM-L6-v2")
    (tmp_path / "sentence-transformers").mkdir()
    assert looks_like_local_path("sentence-transformers/all-MiniLM-L6-v2")
    assert looks_like_local_path("a/b/c")
    assert looks_like_local_path("./x")
    assert looks_like_local_path("/x")


@pytest.mark.parametrize("loader", LOADERS.values(), ids=LOADERS.keys())
def test_a_file_is_not_a_model_folder(loader: Callable[[str], Any], saved_dir: Path) -> None:
    file = saved_dir / "model.safetensors"
    with pytest.raises(NotADirectoryError, match="is a file, not a model folder") as error:
        loader(str(file))
    assert str(file) in str(error.value)
    assert repr(str(saved_dir)) in str(error.value)


# ---------------------------------------------------------------------------------------------------------------------
# Damaged files
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "{not json"])
def test_damaged_config_json_is_named(model_copy: Path, content: str) -> None:
    (model_copy / "config.json").write_text(content)
    with pytest.raises(OSError, match="config.json"):
        BiEncoderModule(str(model_copy))


@pytest.mark.parametrize("file_name", ["tokenizer.json", "tokenizer_config.json"])
def test_damaged_tokenizer_file_is_named(model_copy: Path, file_name: str) -> None:
    (model_copy / file_name).write_text('{"truncated": ')
    with pytest.raises(ValueError, match="is not valid JSON") as error:
        BiEncoderModule(str(model_copy))
    assert str(model_copy / file_name) in str(error.value)


def test_damaged_modules_json_is_named(tiny_bert_dir: Path, tmp_path: Path) -> None:
    st_dir = Path(shutil.copytree(tiny_bert_dir, tmp_path / "st"))
    (st_dir / "modules.json").write_text('[{"idx": 0, "name": "0", "path": "", "type": ')
    with pytest.raises(ValueError, match="is not valid JSON") as error:
        BiEncoderModule(str(st_dir))
    assert str(st_dir / "modules.json") in str(error.value)


def _to_bin(directory: Path) -> Path:
    state = load_file(str(directory / "model.safetensors"))
    (directory / "model.safetensors").unlink()
    torch.save(state, directory / "pytorch_model.bin")
    return directory / "pytorch_model.bin"


@pytest.mark.parametrize("file_format", ["safetensors", "bin"])
@pytest.mark.parametrize(("damage", "message"), [("empty", "is empty"), ("truncated", "is truncated")])
def test_damaged_weights_are_named(model_copy: Path, file_format: str, damage: str, message: str) -> None:
    weights = _to_bin(model_copy) if file_format == "bin" else model_copy / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(b"" if damage == "empty" else data[: len(data) // 2])
    with pytest.raises(ValueError, match=message) as error:
        BiEncoderModule(str(model_copy))
    assert str(weights) in str(error.value)


def test_intact_bin_weights_still_load(model_copy: Path, saved_dir: Path) -> None:
    _to_bin(model_copy)
    texts = ["a query", "a document"]
    expected = BiEncoderModule(str(saved_dir)).score(texts[0], texts[1:]).scores
    torch.testing.assert_close(BiEncoderModule(str(model_copy)).score(texts[0], texts[1:]).scores, expected)


# ---------------------------------------------------------------------------------------------------------------------
# Backbones and tokenizer configs
# ---------------------------------------------------------------------------------------------------------------------


def _save_encoder_decoder(directory: Path, model_type: str) -> Path:
    if model_type == "t5":
        config: Any = T5Config(vocab_size=128, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2)
    else:
        config = BartConfig(
            vocab_size=128,
            d_model=16,
            encoder_layers=1,
            decoder_layers=1,
            encoder_ffn_dim=32,
            decoder_ffn_dim=32,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
        )
    AutoModel.from_config(config).save_pretrained(directory)
    return directory


@pytest.mark.parametrize("model_type", ["t5", "bart"])
@pytest.mark.parametrize(
    "load",
    [BiEncoderModule, CrossEncoderModule, lambda path: BiEncoderModule(path, config=SpladeConfig())],
    ids=["bi-encoder", "cross-encoder", "splade"],
)
def test_encoder_decoder_backbones_are_refused(tmp_path: Path, model_type: str, load: Callable[[str], Any]) -> None:
    directory = _save_encoder_decoder(tmp_path / model_type, model_type)
    with pytest.raises(ValueError, match="encoder-decoder") as error:
        load(str(directory))
    assert repr(model_type) in str(error.value)
    assert "T5CrossEncoderConfig" in str(error.value)


@pytest.mark.parametrize("value", [None, "BertTokenizerFastTypo"], ids=["missing", "misnamed"])
def test_unnamed_backbone_tokenizer_class_is_a_clear_error(model_copy: Path, value: str | None) -> None:
    config_file = model_copy / "tokenizer_config.json"
    data = json.loads(config_file.read_text())
    data.pop("lightning_ir_backbone_tokenizer_class")
    if value is not None:
        data["lightning_ir_backbone_tokenizer_class"] = value
    config_file.write_text(json.dumps(data))
    for load in (BiEncoderModule, AutoTokenizer.from_pretrained):
        with pytest.raises(ValueError, match="lightning_ir_backbone_tokenizer_class") as error:
            load(str(model_copy))
        message = str(error.value)
        assert "tokenizer_config.json" in message
        assert "'BertTokenizer'" in message
        assert value is None or repr(value) in message


# ---------------------------------------------------------------------------------------------------------------------
# Lengths against the backbone and the tokenizer
# ---------------------------------------------------------------------------------------------------------------------


def test_lengths_above_the_backbone_limit_are_lowered_with_a_warning(tiny_bert_dir: Path, tmp_path: Path) -> None:
    config = BiEncoderConfig(query_length=600, doc_length=4096, embedding_dim=8)
    with pytest.warns(UserWarning, match="tokens the 'bert' backbone can encode") as record:
        module = BiEncoderModule(str(tiny_bert_dir), config=config)
    messages = [str(warning.message) for warning in record]
    expected = "BiEncoderConfig: doc_length=4096 is more than the 512 tokens the 'bert' backbone can encode; using "
    assert f"{expected}doc_length=512" in messages
    assert any(message.startswith("BiEncoderConfig: query_length=600 is more than") for message in messages)
    assert (module.config.query_length, module.config.doc_length) == (512, 512)
    assert module.tokenizer.doc_length == 512
    long_text = "word " * 1000
    assert module.tokenizer.tokenize_doc([long_text])["input_ids"].shape == (1, 512)
    assert torch.isfinite(module.score("a query", [long_text]).scores).all()
    module.save_pretrained(tmp_path)
    assert BiEncoderModule(str(tmp_path)).config.doc_length == 512


def test_positions_a_roberta_backbone_reserves_are_not_counted() -> None:
    from transformers import BertConfig, RobertaConfig

    from lightning_ir.base.sizes import backbone_max_length

    sizes = {
        "vocab_size": 100,
        "hidden_size": 16,
        "num_attention_heads": 2,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
    }
    roberta = AutoModel.from_config(RobertaConfig(max_position_embeddings=514, pad_token_id=1, **sizes))
    assert backbone_max_length(roberta) == 512
    assert backbone_max_length(AutoModel.from_config(BertConfig(max_position_embeddings=256, **sizes))) == 256


def test_tokenizer_lengths_are_checked(tiny_bert_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"query_length=3 leaves no room for text .* at least 4"):
        BiEncoderTokenizer.from_pretrained(str(tiny_bert_dir), query_length=3, add_marker_tokens=True)
    with pytest.raises(ValueError, match=r"BiEncoderTokenizer: doc_length=0 is not supported; it must be a positive"):
        BiEncoderTokenizer.from_pretrained(str(tiny_bert_dir), doc_length=0)
    tokenizer = BiEncoderTokenizer.from_pretrained(str(tiny_bert_dir), query_length=4, add_marker_tokens=True)
    assert tokenizer.tokenize_query(["many words in this query"])["input_ids"].shape == (1, 4)
