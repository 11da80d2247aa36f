"""Seismic: the approximate sparse index round-trips, finds what exact sparse search finds, and grows by shards."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest
import torch

from lightning_ir.retrieve import (
    IndexFormatError,
    SeismicIndexConfig,
    SeismicSearchConfig,
    SparseIndexConfig,
    SparseSearchConfig,
)
from lightning_ir.retrieve.seismic.indexer import SEISMIC_FILE

from .helpers import brute_force_scores, build_index, model_config, search

pytest.importorskip("seismic")

EXACT_BUILD = SeismicIndexConfig(n_postings=10_000, summary_energy=1.0, num_threads=1)
"""No pruning, summaries that bound every block's score: Seismic then finds the exact top-k."""
EXACT_SEARCH = SeismicSearchConfig(k=10, query_cut=1000, heap_factor=1.0, num_threads=1)


def sparse_vectors(num: int, vocab: int, seed: int, density: float = 0.05) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    values = torch.rand(num, 1, vocab, generator=generator)
    return torch.where(torch.rand(num, 1, vocab, generator=generator) < density, values, torch.zeros(()))


@pytest.mark.parametrize("similarity", ["dot", "cosine"])
def test_without_pruning_seismic_finds_the_exact_top_k(tmp_path: Path, similarity: str) -> None:
    docs, queries = sparse_vectors(400, 300, seed=0), sparse_vectors(6, 300, seed=1, density=0.1)
    doc_mask, query_mask = torch.ones(400, 1, dtype=torch.bool), torch.ones(6, 1, dtype=torch.bool)
    config = model_config("splade", similarity)
    index_dir = build_index(tmp_path / "index", EXACT_BUILD, config, docs, doc_mask, batch_size=64)
    assert (index_dir / SEISMIC_FILE).is_file()
    assert (index_dir / "values.npy").is_file()

    result = search(index_dir, EXACT_SEARCH, config, queries, query_mask)

    expected = brute_force_scores(queries, query_mask, docs, doc_mask, similarity).topk(10, dim=1)
    for query, (scores, doc_ids) in enumerate(zip(result.scores, result.doc_ids, strict=True)):
        assert doc_ids == [f"d{i}" for i in expected.indices[query].tolist()]
        torch.testing.assert_close(scores, expected.values[query], rtol=2e-3, atol=1e-3)  # values kept as float16


def test_default_settings_find_most_of_the_exact_top_k(tmp_path: Path) -> None:
    docs, queries = sparse_vectors(2000, 500, seed=2, density=0.03), sparse_vectors(20, 500, seed=3, density=0.04)
    doc_mask, query_mask = torch.ones(2000, 1, dtype=torch.bool), torch.ones(20, 1, dtype=torch.bool)
    config = model_config("splade")
    exact_dir = build_index(tmp_path / "exact", SparseIndexConfig(), config, docs, doc_mask, batch_size=500)
    seismic_dir = build_index(
        tmp_path / "seismic", SeismicIndexConfig(num_threads=1), config, docs, doc_mask, batch_size=500
    )
    exact = search(exact_dir, SparseSearchConfig(k=10), config, queries, query_mask)
    approximate = search(seismic_dir, SeismicSearchConfig(k=10, num_threads=1), config, queries, query_mask)
    found = sum(len(set(a) & set(e)) for a, e in zip(approximate.doc_ids, exact.doc_ids, strict=True))
    assert found / (10 * 20) >= 0.9
    for scores, doc_ids in zip(approximate.scores, approximate.doc_ids, strict=True):
        assert torch.all(scores[:-1] >= scores[1:])
        assert len(set(doc_ids)) == len(doc_ids)


def test_documents_and_queries_without_entries(tmp_path: Path) -> None:
    docs, queries = sparse_vectors(50, 100, seed=4, density=0.2), sparse_vectors(3, 100, seed=5, density=0.2)
    doc_mask, query_mask = torch.ones(50, 1, dtype=torch.bool), torch.ones(3, 1, dtype=torch.bool)
    doc_mask[3] = False  # an empty document is indexed but can never be found
    docs[4] = 0.0
    queries[1] = 0.0  # a query without entries finds nothing
    config = model_config("splade")
    index_dir = build_index(tmp_path / "index", EXACT_BUILD, config, docs, doc_mask, batch_size=16)
    result = search(index_dir, SeismicSearchConfig(k=60, query_cut=100, heap_factor=1.0), config, queries, query_mask)
    assert result.doc_ids[1] == []
    assert result.scores[1].numel() == 0
    assert all("d3" not in ids and "d4" not in ids for ids in result.doc_ids)
    assert all(len(ids) <= 48 for ids in result.doc_ids)


def test_documents_added_later_are_searched_as_one_index(tmp_path: Path) -> None:
    docs, queries = sparse_vectors(300, 200, seed=6), sparse_vectors(5, 200, seed=7, density=0.1)
    doc_mask, query_mask = torch.ones(300, 1, dtype=torch.bool), torch.ones(5, 1, dtype=torch.bool)
    config = model_config("splade")
    once = build_index(tmp_path / "once", EXACT_BUILD, config, docs, doc_mask, batch_size=50)
    grown = tmp_path / "grown"
    for mode, part in (("overwrite", slice(0, 180)), ("add", slice(180, 300))):
        indexer = EXACT_BUILD.indexer_class(grown, EXACT_BUILD, config, mode=mode)
        indexer.add([f"d{i}" for i in range(300)[part]], docs[part], doc_mask[part])
        indexer.save()
    assert len(list(grown.rglob(SEISMIC_FILE))) == 2
    expected = search(once, EXACT_SEARCH, config, queries, query_mask)
    result = search(grown, EXACT_SEARCH, config, queries, query_mask)
    assert result.doc_ids == expected.doc_ids
    for scores, reference in zip(result.scores, expected.scores, strict=True):
        torch.testing.assert_close(scores, reference, rtol=2e-3, atol=1e-3)


def test_damaged_or_missing_seismic_files_are_named(tmp_path: Path) -> None:
    docs, mask = sparse_vectors(20, 50, seed=8, density=0.3), torch.ones(20, 1, dtype=torch.bool)
    config = model_config("splade")
    index_dir = build_index(tmp_path / "index", EXACT_BUILD, config, docs, mask)
    (index_dir / SEISMIC_FILE).write_bytes(b"not a seismic index")
    with pytest.raises(IndexFormatError, match=SEISMIC_FILE):
        EXACT_SEARCH.searcher_class(index_dir, EXACT_SEARCH, config)
    (index_dir / SEISMIC_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=SEISMIC_FILE):
        EXACT_SEARCH.searcher_class(index_dir, EXACT_SEARCH, config)
    with pytest.raises(ValueError, match="SparseSearcher reads"):
        SparseSearchConfig().searcher_class(index_dir, SparseSearchConfig(), config)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="SeismicIndexConfig: n_postings"):
        SeismicIndexConfig(n_postings=0)
    with pytest.raises(ValueError, match=r"summary_energy must be a number in \(0, 1.0\]"):
        SeismicIndexConfig(summary_energy=1.5)
    with pytest.raises(ValueError, match="num_threads"):
        SeismicIndexConfig(num_threads=-1)
    with pytest.raises(ValueError, match="SeismicSearchConfig: heap_factor"):
        SeismicSearchConfig(heap_factor=0)
    with pytest.raises(ValueError, match="SeismicSearchConfig: query_cut"):
        SeismicSearchConfig(query_cut=0)
    assert SeismicIndexConfig().to_dict()["n_postings"] == 3500


def test_missing_backend_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_seismic(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "seismic":
            raise ImportError("No module named 'seismic'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_seismic)
    with pytest.raises(ImportError, match=r"lightning-ir\[seismic\]"):
        SeismicIndexConfig().indexer_class(tmp_path / "index", SeismicIndexConfig(), model_config("splade"))
    assert not (tmp_path / "index").exists()


@pytest.mark.filterwarnings("ignore:.*the masked-LM weights")  # a random backbone has no MLM head
def test_a_tiny_splade_model_indexes_and_searches_through_the_trainer(tmp_path: Path, tiny_bert_dir: Path) -> None:
    from lightning_ir import BiEncoderModule, SpladeConfig
    from lightning_ir.callbacks import IndexCallback, SearchCallback
    from lightning_ir.data import DocDataset, QueryDataset
    from lightning_ir.trainer import LightningIRTrainer
    from tests.fixtures import quiet_trainer_kwargs, write_collection

    collection = str(write_collection(tmp_path / "collection"))
    module = BiEncoderModule(str(tiny_bert_dir), config=SpladeConfig(doc_length=32))
    sparsify(module)
    runs = {}
    for name, index_config, search_config in (
        ("exact", SparseIndexConfig(), SparseSearchConfig(k=5)),
        ("seismic", EXACT_BUILD, SeismicSearchConfig(k=5, query_cut=1000, heap_factor=1.0, num_threads=1)),
    ):
        index = IndexCallback(tmp_path / name, index_config)
        search = SearchCallback(tmp_path / name, search_config, save_dir=tmp_path / f"runs-{name}")
        trainer = LightningIRTrainer(callbacks=[index, search], **quiet_trainer_kwargs(tmp_path))
        trainer.index(module, datamodule=_data(DocDataset(collection)), verbose=False)
        trainer.search(module, datamodule=_data(QueryDataset(collection)), verbose=False)
        runs[name] = [line.split() for line in search.run_paths[0].read_text().splitlines()]
    assert len(runs["seismic"]) == 8 * 5
    # the same top-5 scores per query, up to Seismic's half-precision values (near ties may swap places)
    for exact, approximate in zip(runs["exact"], runs["seismic"], strict=True):
        assert exact[0] == approximate[0]
        assert float(approximate[4]) == pytest.approx(float(exact[4]), rel=1e-3)


def sparsify(module: Any, num_terms: int = 300) -> None:
    """Makes a random SPLADE model's vectors sparse, as trained ones are: only ``num_terms`` terms can be non-zero.

    A random MLM head gives about half of the vocabulary a positive weight, which makes every posting list long.
    """
    decoder = module.model.projection.masked_lm.get_output_embeddings()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        decoder.bias.fill_(-100.0)
        decoder.bias[torch.randperm(decoder.bias.shape[0], generator=generator)[:num_terms]] = 0.0


def _data(dataset: Any) -> Any:
    from lightning_ir.data import LightningIRDataModule

    return LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=4)
