"""sentence-transformers models are read from their own files and embed exactly as sentence-transformers does."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import torch

from lightning_ir import BiEncoderModule

sentence_transformers = pytest.importorskip("sentence_transformers")


def _save_st_model(directory: Path, backbone: Path, pooling: str, dense: bool) -> Path:
    from sentence_transformers import SentenceTransformer, models

    torch.manual_seed(3)
    transformer = models.Transformer(str(backbone), max_seq_length=20)
    modules: list = [transformer, models.Pooling(32, pooling_mode=pooling)]
    if dense:
        modules.append(models.Dense(32, 12, bias=True, activation_function=torch.nn.Identity()))
    modules.append(models.Normalize())
    SentenceTransformer(modules=modules, device="cpu").save(str(directory))
    return directory


@pytest.mark.parametrize(("pooling", "dense"), [("mean", False), ("cls", True), ("max", False)])
def test_generic_reader_matches_sentence_transformers(
    tiny_bert_dir: Path, tmp_path: Path, pooling: str, dense: bool
) -> None:
    from sentence_transformers import SentenceTransformer

    st_dir = _save_st_model(tmp_path / "st", tiny_bert_dir, pooling, dense)
    module = BiEncoderModule(str(st_dir))
    assert module.config.doc_length == 20
    assert module.config.normalize
    assert module.config.doc_pooling_strategy == {"cls": "first"}.get(pooling, pooling)
    texts = ["a short text", "another, somewhat longer text about several different things " * 3]
    expected = SentenceTransformer(str(st_dir), device="cpu").encode(texts, convert_to_tensor=True)
    ours = module.model.encode_doc(module.tokenizer.tokenize_doc(texts)).embeddings[:, 0].detach()
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=1e-4)


def test_unsupported_module_is_named(tiny_bert_dir: Path, tmp_path: Path) -> None:
    st_dir = _save_st_model(tmp_path / "st", tiny_bert_dir, "mean", False)
    pooling_config = st_dir / "1_Pooling" / "config.json"
    config = json.loads(pooling_config.read_text())
    config["pooling_mode"] = "weightedmean"
    pooling_config.write_text(json.dumps(config))
    with pytest.raises(ValueError, match="weightedmean"):
        BiEncoderModule(str(st_dir))


def _scifact_docs(shared_dir: Path, count: int) -> list[str]:
    with zipfile.ZipFile(shared_dir / "ir_datasets" / "beir" / "scifact" / "source.zip") as archive:
        name = next(n for n in archive.namelist() if n.endswith("corpus.jsonl"))
        lines = archive.read(name).decode().splitlines()[:count]
    docs = [json.loads(line) for line in lines]
    return [f"{doc['title']} {doc['text']}".strip() for doc in docs]


@pytest.mark.slow  # ~100 s on 2 cores; the README's main job reproduces the same figure end to end
def test_minilm_parity_on_scifact(shared_dir: Path) -> None:
    """all-MiniLM-L6-v2 by hub name: same embeddings (cosine >= 0.9999) and ranking as sentence-transformers."""
    from sentence_transformers import SentenceTransformer

    name = "sentence-transformers/all-MiniLM-L6-v2"
    try:
        module = BiEncoderModule(name)
    except OSError:
        pytest.skip(f"{name} is not in the Hugging Face cache; run scripts/seed_hf_cache.py")
    docs = _scifact_docs(shared_dir, 100)
    query = "0-dimensional biomaterials show inductive properties."
    st_model = SentenceTransformer(name, device="cpu")
    st_docs = st_model.encode(docs, convert_to_tensor=True, batch_size=32)
    st_query = st_model.encode([query], convert_to_tensor=True)
    with torch.no_grad():
        ours = torch.cat(
            [
                module.model.encode_doc(module.tokenizer.tokenize_doc(docs[i : i + 32])).embeddings[:, 0]
                for i in range(0, len(docs), 32)
            ]
        )
        scores = module.score(query, docs).scores
    cosine = torch.nn.functional.cosine_similarity(ours, st_docs)
    assert cosine.min().item() >= 0.9999
    st_scores = (st_query @ st_docs.T)[0]
    assert torch.equal(scores.argsort(descending=True)[:10], st_scores.argsort(descending=True)[:10])
    torch.testing.assert_close(scores, st_scores, atol=1e-4, rtol=1e-4)
