"""XTR (issue #9 item 5): published layouts load as XTR and score as the reference; in-batch token retrieval.

The reference is sentence-transformers on the same folder: its token embeddings (``output_value="token_embeddings"``,
a T5 encoder, the Dense layer on every token, L2 normalisation), scored with XTR's re-ranking formula written out
below (MaxSim, mean over the query tokens), and its ``xtr_scores`` for the in-batch token retrieval of training.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, T5Config, T5EncoderModel, T5Tokenizer

from lightning_ir import BiEncoderModule, XTRConfig, XTRModel
from lightning_ir.base.layouts import CheckpointFiles, detect_layout
from lightning_ir.data import TrainBatch
from lightning_ir.loss import InBatchCrossEntropy, RankNet
from lightning_ir.models.xtr import XTRScoringFunction, token_retrieval_scores
from lightning_ir.models.xtr_checkpoint import read_xtr_checkpoint
from tests.conftest import minilm_path
from tests.fixtures import QUERIES, write_collection
from tests.models.cli_recipes import collection_docs, index_and_search

QUERY = "what do cats eat"
DOCS = [
    "cats are carnivores and eat meat and fish",
    "the stock market fell sharply today",
    "cats hunt mice and birds for food",
    "mount everest is the highest mountain",
]
LAYOUTS = ("published", "sentence-transformers")


def save_t5_tokenizer(directory: Path) -> Path:
    """A T5 (Unigram) tokenizer whose pieces are the commoner MiniLM WordPiece tokens (no T5 tokenizer ships offline).

    Every single character is kept, so any text tokenises.
    """
    vocab = AutoTokenizer.from_pretrained(minilm_path()).get_vocab()
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -3.0)]
    seen = {piece for piece, _ in pieces}
    for token in sorted(vocab, key=vocab.__getitem__):
        piece = token[2:] if token.startswith("##") else "▁" + token
        if token.startswith("[") or piece in seen or (vocab[token] > 8000 and len(piece) > 2):
            continue
        seen.add(piece)
        pieces.append((piece, -1.0 - 0.01 * len(piece)))
    T5Tokenizer(vocab=pieces, extra_ids=0).save_pretrained(directory)
    return directory


def save_t5_encoder(directory: Path) -> Path:
    """A seeded tiny random T5 encoder, saved by transformers' ``T5EncoderModel.save_pretrained``, with a tokenizer."""
    save_t5_tokenizer(directory)
    torch.manual_seed(0)
    vocab_size = len(AutoTokenizer.from_pretrained(directory))
    config = T5Config(
        vocab_size=vocab_size, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2, decoder_start_token_id=0
    )
    T5EncoderModel(config).save_pretrained(directory)
    return directory


def _dense(in_features: int = 32, out_features: int = 16, **kwargs: object) -> torch.nn.Module:
    from sentence_transformers.base.modules import Dense

    torch.manual_seed(1)
    return Dense(in_features, out_features, bias=False, activation_function=torch.nn.Identity(), **kwargs)  # type: ignore[arg-type]


def save_published_xtr(directory: Path) -> Path:
    """The layout of ``google/xtr-base-en``: a T5 encoder, ``2_Dense`` (sentence-transformers' format), no modules.json.

    The published ``2_Dense/config.json`` has exactly the four keys written here (sentence-transformers < 5), and
    its ``config.json`` says ``is_encoder_decoder: true`` (transformers 4 kept the full T5 config of a T5EncoderModel).
    """
    save_t5_encoder(directory)
    config = json.loads((directory / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps({**config, "is_encoder_decoder": True}, indent=2))
    (directory / "2_Dense").mkdir()
    _dense().save(str(directory / "2_Dense"), safe_serialization=False)
    published = {"in_features": 32, "out_features": 16, "bias": False}
    published["activation_function"] = "torch.nn.modules.linear.Identity"
    (directory / "2_Dense" / "config.json").write_text(json.dumps(published))
    return directory


def save_sentence_transformers_xtr(directory: Path) -> Path:
    """The same model saved by sentence-transformers: Transformer (T5), Dense and Normalize on token embeddings."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer

    encoder = save_t5_encoder(directory.parent / f"{directory.name}-encoder")
    modules = [
        Transformer(str(encoder)),
        _dense(module_input_name="token_embeddings"),
        Normalize(module_input_name="token_embeddings"),
    ]
    SentenceTransformer(modules=modules, device="cpu").save(str(directory))
    return directory


def reference_encoder(path: Path, layout: str) -> object:
    """sentence-transformers on the folder; for the published layout, its modules built from the folder's files."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize, Transformer

    if layout == "sentence-transformers":
        return SentenceTransformer(str(path), device="cpu")
    dense = Dense.load(str(path / "2_Dense"), init_defaults={"module_input_name": "token_embeddings"})
    modules = [Transformer(str(path)), dense, Normalize(module_input_name="token_embeddings")]
    return SentenceTransformer(modules=modules, device="cpu")


def reference_scores(path: Path, layout: str, query: str, docs: list[str]) -> torch.Tensor:
    """XTR's scores with every document token at hand: MaxSim, averaged over the query tokens."""
    reference = reference_encoder(path, layout)
    query_tokens = reference.encode([query], output_value="token_embeddings", convert_to_tensor=False)[0]  # type: ignore[attr-defined]
    doc_tokens = reference.encode(docs, output_value="token_embeddings", convert_to_tensor=False)  # type: ignore[attr-defined]
    return torch.stack([(query_tokens @ tokens.T).amax(dim=1).mean() for tokens in doc_tokens]).float()


@pytest.fixture(scope="module")
def published_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny XTR in the layout of ``google/xtr-base-en`` (read-only for the tests)."""
    return save_published_xtr(tmp_path_factory.mktemp("xtr-published") / "xtr")


@pytest.fixture(scope="module")
def sentence_transformers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny XTR saved by sentence-transformers (read-only for the tests)."""
    return save_sentence_transformers_xtr(tmp_path_factory.mktemp("xtr-st") / "xtr")


@pytest.fixture(scope="module", params=LAYOUTS)
def checkpoint(request: pytest.FixtureRequest) -> tuple[Path, str]:
    fixture = "published_dir" if request.param == "published" else "sentence_transformers_dir"
    return request.getfixturevalue(fixture), request.param


@pytest.fixture(scope="module")
def module(checkpoint: tuple[Path, str]) -> BiEncoderModule:
    """The checkpoint loaded by detection (no config given), in evaluation mode."""
    return BiEncoderModule(str(checkpoint[0])).eval()


def test_layout_is_detected_as_xtr(checkpoint: tuple[Path, str]) -> None:
    path, _ = checkpoint
    detected = detect_layout(CheckpointFiles(str(path)), "bi-encoder")
    assert detected is not None
    layout, config = detected
    assert layout.family.startswith("XTR")
    assert isinstance(config, XTRConfig)
    assert (config.embedding_dim, config.projection, config.normalize) == (16, "linear_no_bias", True)


def test_scores_match_the_reference(checkpoint: tuple[Path, str], module: BiEncoderModule) -> None:
    path, layout = checkpoint
    assert type(module.model) is XTRModel
    assert type(module.model.backbone) is T5EncoderModel
    output = module.score(QUERY, DOCS)
    scores = output.scores.detach()
    expected = reference_scores(path, layout, QUERY, DOCS)
    assert (scores - expected).abs().max().item() <= 1e-4
    assert scores.argsort(descending=True).tolist() == expected.argsort(descending=True).tolist()
    reference = reference_encoder(path, layout)
    tokens = reference.encode([QUERY], output_value="token_embeddings", convert_to_tensor=False)[0]  # type: ignore[attr-defined]
    ours = output.query_embeddings.embeddings[output.query_embeddings.scoring_mask]
    assert (ours - tokens).abs().max().item() <= 1e-4


def test_save_and_load_round_trip_gives_identical_scores(module: BiEncoderModule, tmp_path: Path) -> None:
    expected = module.score(QUERY, DOCS).scores
    module.save_pretrained(tmp_path / "saved")
    reloaded = BiEncoderModule(str(tmp_path / "saved"))
    assert type(reloaded.model) is XTRModel
    torch.testing.assert_close(reloaded.score(QUERY, DOCS).scores, expected, rtol=0, atol=0)


def test_a_pooled_t5_folder_is_not_xtr(tmp_path: Path) -> None:
    """sentence-T5 has a Pooling module: the same modules with Pooling are a single-vector model."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    encoder = save_t5_encoder(tmp_path / "encoder")
    modules = [Transformer(str(encoder)), Pooling(32, pooling_mode="mean"), _dense(), Normalize()]
    SentenceTransformer(modules=modules, device="cpu").save(str(tmp_path / "st5"))
    assert read_xtr_checkpoint(CheckpointFiles(str(tmp_path / "st5"))) is None
    assert read_xtr_checkpoint(CheckpointFiles(str(encoder))) is None  # a T5 encoder without Dense


def _embeddings(module: BiEncoderModule, queries: list[str], docs: list[str]) -> tuple[object, object]:
    encodings = module.tokenize(queries=queries, docs=docs)
    with torch.no_grad():
        return module.model.encode_query(encodings["query_encoding"]), module.model.encode_doc(
            encodings["doc_encoding"]
        )


@pytest.mark.parametrize("k", [3, 20, 10_000])
def test_token_retrieval_matches_sentence_transformers_xtr_scores(module: BiEncoderModule, k: int) -> None:
    from sentence_transformers.multi_vector_encoder.scoring.xtr import xtr_scores

    queries = [QUERY, "highest mountain on earth"]
    query_embeddings, doc_embeddings = _embeddings(module, queries, DOCS)
    scoring = XTRScoringFunction(XTRConfig(token_retrieval_k=k)).train()
    matrix = scoring.score_matrix(query_embeddings, doc_embeddings)
    docs = doc_embeddings.embeddings.view(2, 2, *doc_embeddings.embeddings.shape[1:])
    expected = xtr_scores(
        query_embeddings.embeddings,
        docs,
        queries_mask=query_embeddings.scoring_mask,
        documents_mask=doc_embeddings.scoring_mask.view(2, 2, -1),
        top_k=k,
    )
    assert (matrix - expected).abs().max().item() <= 1e-5
    own = scoring(query_embeddings, doc_embeddings, num_docs=[2, 2])
    torch.testing.assert_close(own, torch.cat([matrix[0, :2], matrix[1, 2:]]))
    maxsim = module.model.scoring_function.score_matrix(query_embeddings, doc_embeddings)  # evaluation mode
    torch.testing.assert_close(scoring.eval().score_matrix(query_embeddings, doc_embeddings), maxsim)
    if k == 3:
        assert not torch.allclose(maxsim, matrix)


@pytest.mark.parametrize("fill_strategy", ["zero", "min"])
@pytest.mark.parametrize("normalization", ["Z", None])
def test_token_retrieval_scores_follow_the_definition(fill_strategy: str, normalization: str | None) -> None:
    """Every (query, document) score computed one query token at a time, as the XTR paper defines it."""
    torch.manual_seed(0)
    query, docs = torch.randn(2, 3, 4), torch.randn(3, 5, 4)
    query_mask = torch.tensor([[True, True, False], [True, True, True]])
    doc_mask = torch.ones(3, 5, dtype=torch.bool)
    doc_mask[1, 3:] = False
    k = 4
    scores = token_retrieval_scores(query, query_mask, docs, doc_mask, k, fill_strategy, normalization, "mean")  # type: ignore[arg-type]
    flat, owners = docs[doc_mask], torch.arange(3).repeat_interleave(doc_mask.sum(dim=1))
    for q in range(2):
        tokens = [query[q, t] for t in range(3) if query_mask[q, t]]
        for d in range(3):
            values, hits = [], 0
            for token in tokens:
                similarities = flat @ token
                top = similarities.topk(k).indices
                mine = [float(similarities[i]) for i in top if owners[i] == d]
                hits += bool(mine)
                fill = float(similarities[top].min()) if fill_strategy == "min" else 0.0
                values.append(max(mine) if mine else fill)
            divisor = max(hits, 1) if normalization == "Z" else len(tokens)
            assert scores[q, d].item() == pytest.approx(sum(values) / divisor, abs=1e-5)


def test_fine_tuning_config_keeps_the_dense_layer_and_trains(
    checkpoint: tuple[Path, str], module: BiEncoderModule
) -> None:
    """A given XTRConfig (to set token_retrieval_k) keeps the trained Dense; one step has finite gradients."""
    path, _ = checkpoint
    config = XTRConfig(token_retrieval_k=6, embedding_dim=16)
    tuned = BiEncoderModule(str(path), config=config, loss_functions=[RankNet(), InBatchCrossEntropy()])
    assert tuned.config.token_retrieval_k == 6
    torch.testing.assert_close(tuned.score(QUERY, DOCS).scores, module.score(QUERY, DOCS).scores)
    tuned.train()
    batch = TrainBatch(
        queries=[QUERY, "highest mountain"],
        docs=[DOCS[:2], DOCS[2:]],
        query_ids=["q1", "q2"],
        doc_ids=[["a", "b"], ["c", "d"]],
        targets=torch.tensor([1.0, 0.0, 0.0, 1.0]),
    )
    losses = tuned.compute_losses(batch, tuned(batch))
    torch.stack(list(losses.values())).sum().backward()
    for parameter in (tuned.model.projection.weight, tuned.model.backbone.shared.weight):
        assert parameter.grad is not None
        assert torch.isfinite(parameter.grad).all()
        assert parameter.grad.abs().sum() > 0


def _brute_force_xtr(module: BiEncoderModule, query: str, docs: dict[str, str], candidate_k: int) -> dict[str, float]:
    """XTR inference (Lee et al., eq. 6): retrieved token scores, a missing one imputed by the lowest retrieved."""
    doc_ids = list(docs)
    query_embeddings, doc_embeddings = _embeddings(module, [query], [docs[doc_id] for doc_id in doc_ids])
    tokens = doc_embeddings.embeddings[doc_embeddings.scoring_mask]
    owners = torch.arange(len(doc_ids)).repeat_interleave(doc_embeddings.scoring_mask.sum(dim=1))
    query_tokens = query_embeddings.embeddings[0][query_embeddings.scoring_mask[0]]
    similarities = query_tokens @ tokens.T
    top = similarities.topk(candidate_k, dim=1)
    candidates = sorted({int(owners[i]) for i in top.indices.flatten()})
    scores = {}
    for d in candidates:
        per_token = []
        for t in range(len(query_tokens)):
            mine = [float(similarities[t, i]) for i in top.indices[t] if owners[i] == d]
            per_token.append(max(mine) if mine else float(top.values[t].min()))
        scores[doc_ids[d]] = sum(per_token) / len(per_token)
    return scores


def test_cli_index_and_search_with_xtr_imputation(
    published_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Index the tiny collection with the published layout and search it as XTR does (imputation 'min')."""
    collection = write_collection(tmp_path / "collection")
    monkeypatch.chdir(tmp_path)
    search_args = {"k": 5, "candidate_k": 6, "imputation_strategy": "min"}
    run = index_and_search(
        tmp_path,
        published_dir,
        collection,
        {"class_path": "lightning_ir.retrieve.FaissFlatIndexConfig"},
        {"class_path": "lightning_ir.retrieve.FaissSearchConfig", "init_args": search_args},
    )
    assert len(run) == len(QUERIES)
    module = BiEncoderModule(str(published_dir))
    docs = collection_docs(collection)
    for topic in ("apple", "coffee"):
        expected = _brute_force_xtr(module, QUERIES[topic], docs, candidate_k=6)
        ranked = sorted(expected.items(), key=lambda item: -item[1])[:5]
        got = run[f"q-{topic}"]
        assert [doc_id for doc_id, _ in got] == [doc_id for doc_id, _ in ranked]
        assert max(abs(score - expected[doc_id]) for doc_id, score in got) <= 1e-4
