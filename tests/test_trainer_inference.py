"""LightningIRTrainer.index / search / re_rank: stage callbacks, one trainer for all stages, DDP indexing."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning import Callback

from lightning_ir import BiEncoderModule
from lightning_ir.callbacks import IndexCallback, ReRankCallback, SearchCallback
from lightning_ir.data import DocDataset, LightningIRDataModule, QueryDataset, RunDataset
from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig, read_metadata
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection

REPO_ROOT = Path(__file__).resolve().parents[1]


def _data(dataset: object, batch_size: int = 3) -> LightningIRDataModule:
    return LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=batch_size)  # type: ignore[list-item]


def test_one_trainer_runs_each_stage_with_its_own_callbacks(tmp_path: Path, tiny_bert_dir: Path) -> None:
    collection = write_collection(tmp_path / "collection")
    module = BiEncoderModule(str(tiny_bert_dir), evaluation_metrics=["nDCG@10"])
    index = IndexCallback(tmp_path / "index", TorchDenseIndexConfig())
    search = SearchCallback(tmp_path / "index", TorchDenseSearchConfig(k=4), save_dir=tmp_path / "search")
    re_rank = ReRankCallback(save_dir=tmp_path / "re-rank")
    trainer = LightningIRTrainer(callbacks=[index, search, re_rank], **quiet_trainer_kwargs(tmp_path))
    callbacks_before = list(trainer.callbacks)

    trainer.index(module, datamodule=_data(DocDataset(str(collection))), verbose=False)
    assert read_metadata(tmp_path / "index").num_docs == 16
    assert not (tmp_path / "search").exists()
    assert not (tmp_path / "re-rank").exists()

    (search_metrics,) = trainer.search(module, datamodule=_data(QueryDataset(str(collection))), verbose=False)
    assert set(search_metrics) == {"nDCG@10"}
    assert search.run_paths[0] == tmp_path / "search" / "collection.run"
    assert not (tmp_path / "re-rank").exists()

    # re-rank the run the search wrote: its name maps back to the collection
    searched = RunDataset(str(search.run_paths[0]), dataset_id=str(collection))
    (re_rank_metrics,) = trainer.re_rank(module, datamodule=_data(searched), verbose=False)
    re_ranked = re_rank.run_paths[0].read_text().splitlines()
    assert len(re_ranked) == 8 * 4
    # a bi-encoder re-ranking its own top 4 keeps the order and the scores
    assert [line.split()[:4] for line in re_ranked] == [
        line.split()[:4] for line in search.run_paths[0].read_text().splitlines()
    ]
    assert re_rank_metrics["nDCG@10"] == pytest.approx(search_metrics["nDCG@10"])
    assert trainer.callbacks == callbacks_before

    with pytest.raises(ValueError, match="re_rank takes RunDataset datasets"):
        trainer.re_rank(module, datamodule=_data(QueryDataset(str(collection))))


def test_ddp_index_holds_every_document_once(tmp_path: Path, tiny_bert_dir: Path) -> None:
    collection = write_collection(tmp_path / "collection")
    model_dir = tmp_path / "model"  # saved, so that both processes (and this one) load the same projection weights
    BiEncoderModule(str(tiny_bert_dir)).save_pretrained(model_dir)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "PYTHONPATH": str(REPO_ROOT)}
    command = [
        sys.executable,
        str(REPO_ROOT / "tests" / "ddp_index.py"),
        str(model_dir),
        str(collection),
        str(tmp_path),
        "unseeded",  # each process re-initialises the projection with its own seed: rank 0's weights must win
    ]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]

    ranks = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [record["world_size"] for record in ranks] == [2, 2]
    assert [record["encoded"] for record in ranks] == [8, 8]  # each process encoded its half
    assert [record["num_docs"] for record in ranks] == [16, 16]
    assert ranks[0]["projection_sum"] == ranks[1]["projection_sum"]
    index = TorchDenseSearchConfig().searcher_class(tmp_path / "index", TorchDenseSearchConfig(), None)
    assert len(read_metadata(tmp_path / "index").shards) == 2  # each process streamed its own shard
    doc_ids = index.doc_ids  # the shards in rank order, searched as one index
    expected_ids = [line.split("\t")[0] for line in (collection / "docs.tsv").read_text().splitlines()]
    assert sorted(doc_ids) == sorted(expected_ids)
    assert len(doc_ids) == len(set(doc_ids))
    # no parts or staging folders left next to the index
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []

    # the embeddings are those a single process computes
    module = BiEncoderModule(str(model_dir))
    torch.manual_seed(1000)  # rank 0's projection
    module.model.projection.reset_parameters()
    docs = dict(line.split("\t", 1) for line in (collection / "docs.tsv").read_text().splitlines())
    with torch.no_grad():
        encoding = module.tokenize(docs=[docs[doc_id] for doc_id in doc_ids])["doc_encoding"]
        expected = module.model.encode_doc(encoding).embeddings[:, 0]
    stored = index.stored_vectors()
    torch.testing.assert_close(stored, expected, atol=1e-5, rtol=1e-4)

    # search under DDP: every query once in the run, and both processes got the metrics over all queries
    run = (tmp_path / "runs" / "collection.run").read_text().splitlines()
    assert sorted({line.split()[0] for line in run}) == sorted(
        line.split("\t")[0] for line in (collection / "queries.tsv").read_text().splitlines()
    )
    assert len(run) == 8 * 4
    assert ranks[0]["metrics"] == ranks[1]["metrics"]
    assert set(ranks[0]["metrics"][0]) == {"nDCG@10"}


def test_predict_returns_the_scores_and_cross_encoders_refuse_index_batches(
    tmp_path: Path, tiny_bert_dir: Path
) -> None:
    from lightning_ir import CrossEncoderModule
    from lightning_ir.data import IndexBatch, SearchBatch

    collection = write_collection(tmp_path / "collection")
    module = CrossEncoderModule(str(tiny_bert_dir))
    run = RunDataset(str(collection / "run.run"), dataset_id=str(collection))
    outputs = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path)).predict(module, datamodule=_data(run, 8))
    assert outputs is not None
    assert len(outputs) == 1
    sample = run[0]
    expected = module.score(sample.query, list(sample.docs)).scores
    torch.testing.assert_close(outputs[0].scores[:4], expected, atol=1e-4, rtol=1e-4)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="CrossEncoderModule cannot index documents: that needs a bi-encoder"):
        module.inference_step(IndexBatch(doc_ids=["d"], docs=["text"]))
    with pytest.raises(ValueError, match="CrossEncoderModule cannot search an index"):
        module.inference_step(SearchBatch(query_ids=["q"], queries=["text"]))


def test_search_without_queries_and_re_rank_of_an_empty_run_fail_clearly(tmp_path: Path, tiny_bert_dir: Path) -> None:
    collection = write_collection(tmp_path / "collection")
    module = BiEncoderModule(str(tiny_bert_dir))
    index = IndexCallback(tmp_path / "index", TorchDenseIndexConfig())
    search = SearchCallback(tmp_path / "index", TorchDenseSearchConfig(k=4), save_dir=tmp_path / "runs")
    trainer = LightningIRTrainer(callbacks=[index, search], **quiet_trainer_kwargs(tmp_path))
    trainer.index(module, datamodule=_data(DocDataset(str(collection))), verbose=False)
    (collection / "queries.tsv").write_text("")
    with pytest.raises(ValueError, match=r"search: no queries to search in dataset\(s\) \['collection'\]"):
        trainer.search(module, datamodule=_data(QueryDataset(str(collection))))
    (tmp_path / "empty.run").write_text("")
    empty_run = RunDataset(str(tmp_path / "empty.run"), dataset_id=str(collection))
    with pytest.raises(ValueError, match=r"re_rank: no queries to re-rank"):
        trainer.re_rank(module, datamodule=_data(empty_run))
    assert not (tmp_path / "runs").exists()
    assert sorted(tmp_path.rglob("*.run")) == [tmp_path / "collection" / "run.run", tmp_path / "empty.run"]


class _BatchWatcher(Callback):
    """Keeps a copy of every batch before the step and the batch and output after it."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, Any, Any]] = []
        self._before: Any = None

    def on_test_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0):
        self._before = copy.deepcopy(batch)

    def on_test_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        self.seen.append((self._before, batch, outputs))


def _same_batch(batch: Any, before: Any) -> bool:
    for name in ("query_ids", "queries", "doc_ids", "qrels"):
        if getattr(batch, name) != getattr(before, name):
            return False
    encodings, original = batch.encodings or {}, before.encodings or {}
    return encodings.keys() == original.keys() and all(
        all(torch.equal(encodings[key][field], original[key][field]) for field in original[key]) for key in original
    )


def test_one_query_from_trainer_search_to_the_run_file_leaves_the_batch_unchanged(
    tmp_path: Path, tiny_bert_dir: Path
) -> None:
    collection = write_collection(tmp_path / "collection")
    (collection / "queries.tsv").write_text("q-apple\twhich fruit grows on orchard trees\n")
    module = BiEncoderModule(str(tiny_bert_dir), evaluation_metrics=["nDCG@10"])
    watcher = _BatchWatcher()
    index = IndexCallback(tmp_path / "index", TorchDenseIndexConfig())
    search = SearchCallback(tmp_path / "index", TorchDenseSearchConfig(k=3), save_dir=tmp_path / "runs")
    trainer = LightningIRTrainer(callbacks=[index, search, watcher], **quiet_trainer_kwargs(tmp_path))
    trainer.index(module, datamodule=_data(DocDataset(str(collection))), verbose=False)
    watcher.seen.clear()
    (metrics,) = trainer.search(module, datamodule=_data(QueryDataset(str(collection))), verbose=False)
    ((before, batch, output),) = watcher.seen
    assert batch.doc_ids is None
    assert _same_batch(batch, before)  # the step did not write into its input
    (ranking,) = output.rankings
    assert ranking.query_id == "q-apple"
    assert len(ranking.doc_ids) == 3
    lines = (tmp_path / "runs" / "collection.run").read_text().splitlines()
    assert [line.split()[2] for line in lines] == ranking.doc_ids
    assert [float(line.split()[4]) for line in lines] == pytest.approx(ranking.scores.tolist(), abs=1e-6)
    qrels = {"q-apple": {"d-apple": 1}}
    run = {"q-apple": dict(zip(ranking.doc_ids, ranking.scores.tolist(), strict=True))}
    import ir_measures

    assert metrics["nDCG@10"] == pytest.approx(
        ir_measures.calc_aggregate([ir_measures.nDCG @ 10], qrels, run)[ir_measures.nDCG @ 10]
    )
