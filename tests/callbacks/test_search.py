"""SearchCallback: exact search equals scoring every document, one search per batch, runs, metrics, bad input."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import ir_measures
import pytest
import torch

from lightning_ir import BiEncoderModule
from lightning_ir.callbacks import SearchCallback
from lightning_ir.data import LightningIRDataModule, QueryDataset
from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig
from lightning_ir.trainer import LightningIRTrainer
from tests.callbacks.conftest import METRICS, read_qrels, read_run_file, read_tsv
from tests.fixtures import quiet_trainer_kwargs
from tests.retrieve.helpers import model_config


def query_data(collection: Path, batch_size: int = 3) -> LightningIRDataModule:
    return LightningIRDataModule(inference_datasets=[QueryDataset(str(collection))], inference_batch_size=batch_size)


class CountingSearchCallback(SearchCallback):
    """Counts the searcher's calls and the queries it searched."""

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_test_start(trainer, pl_module)
        searcher = self.searcher
        assert searcher is not None
        self.calls: list[int] = []

        class Counting:
            def search(inner, embeddings: torch.Tensor, mask: torch.Tensor) -> Any:  # noqa: N805
                self.calls.append(embeddings.shape[0])
                return searcher.search(embeddings, mask)

        self.searcher = Counting()  # type: ignore[assignment]


def run_search(
    root: Path,
    module: BiEncoderModule,
    index_dir: Path,
    collection: Path,
    k: int,
    callback_type: type[SearchCallback] = SearchCallback,
) -> tuple[SearchCallback, list[dict[str, float]]]:
    callback = callback_type(index_dir, TorchDenseSearchConfig(k=k), save_dir=root / "runs")
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(root))
    metrics = trainer.search(module, datamodule=query_data(collection), verbose=False)
    return callback, metrics


def test_exact_search_returns_the_top_k_of_scoring_every_document(
    tmp_path: Path, bi_encoder: BiEncoderModule, index_dir: Path, collection: Path
) -> None:
    callback, _ = run_search(tmp_path, bi_encoder, index_dir, collection, k=5)
    run = read_run_file(callback.run_paths[0])
    queries, docs = read_tsv(collection / "queries.tsv"), read_tsv(collection / "docs.tsv")
    assert list(run) == list(queries)
    doc_ids = list(docs)
    for query_id, query in queries.items():
        scores = bi_encoder.score(query, [docs[doc_id] for doc_id in doc_ids]).scores
        top = torch.topk(scores, k=5)
        ranking = run[query_id]
        assert [doc_id for doc_id, *_ in ranking] == [doc_ids[i] for i in top.indices.tolist()]
        assert [rank for _, rank, *_ in ranking] == [1, 2, 3, 4, 5]
        torch.testing.assert_close(
            torch.tensor([score for _, _, score, _ in ranking]), top.values, atol=1e-4, rtol=1e-4
        )
        assert {tag for *_, tag in ranking} == {Path(str(bi_encoder.config.name_or_path)).name}


def test_each_batch_is_searched_once(
    tmp_path: Path, bi_encoder: BiEncoderModule, index_dir: Path, collection: Path
) -> None:
    callback, _ = run_search(tmp_path, bi_encoder, index_dir, collection, k=3, callback_type=CountingSearchCallback)
    assert isinstance(callback, CountingSearchCallback)
    assert callback.calls == [3, 3, 2]  # 8 queries in batches of 3
    assert callback.searcher is None  # released when the loop ends


def test_search_metrics_match_ir_measures_on_the_written_run(
    tmp_path: Path, bi_encoder: BiEncoderModule, index_dir: Path, collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    callback = SearchCallback(index_dir, TorchDenseSearchConfig(k=100), save_dir=tmp_path / "runs")
    trainer = LightningIRTrainer(callbacks=[callback], **quiet_trainer_kwargs(tmp_path))
    (metrics,) = trainer.search(bi_encoder, datamodule=query_data(collection))
    run = {
        qid: {doc_id: score for doc_id, _, score, _ in ranking}
        for qid, ranking in read_run_file(callback.run_paths[0]).items()
    }
    assert all(len(ranking) == 16 for ranking in run.values())  # k > number of documents: all of them
    measures = [ir_measures.parse_measure(metric) for metric in METRICS]
    expected = ir_measures.calc_aggregate(measures, read_qrels(collection), run)
    expected_values = {metric: expected[measure] for metric, measure in zip(METRICS, measures, strict=True)}
    assert metrics == pytest.approx(expected_values)
    assert metrics["R@100"] == 1.0
    out = capsys.readouterr().out
    assert "collection" in out
    assert "nDCG@10" in out
    assert "time (s)" in out
    assert str(callback.run_paths[0]) in out
    assert callback.run_paths[0] == tmp_path / "runs" / "collection.run"


def test_missing_index_is_a_clear_error(tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"cannot search .*missing.*does not exist.*lightning-ir index"):
        run_search(tmp_path, bi_encoder, tmp_path / "missing", collection, k=3)
    assert not (tmp_path / "runs").exists()


def test_corrupt_index_is_a_clear_error(
    tmp_path: Path, bi_encoder: BiEncoderModule, index_dir: Path, collection: Path
) -> None:
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for path in index_dir.iterdir():
        (corrupt / path.name).write_bytes(path.read_bytes())
    (corrupt / "config.json").write_text('{"format_version": 1, "index_type": ')
    with pytest.raises(ValueError, match=r"cannot search .*corrupt.*config.json is corrupt"):
        run_search(tmp_path, bi_encoder, corrupt, collection, k=3)
    config = json.loads((index_dir / "config.json").read_text())
    (corrupt / "config.json").write_text(json.dumps(config))
    (corrupt / "embeddings.npy").write_bytes(b"not an array")
    with pytest.raises(ValueError, match="embeddings.npy is corrupt"):
        run_search(tmp_path, bi_encoder, corrupt, collection, k=3)


def test_index_of_another_model_type_is_refused(tmp_path: Path, bi_encoder: BiEncoderModule, collection: Path) -> None:
    other = tmp_path / "col-index"
    indexer = TorchDenseIndexConfig.indexer_class(other, TorchDenseIndexConfig(), model_config(model_type="col"))
    indexer.add(["d-apple"], torch.ones(1, 1, 32), torch.ones(1, 1, dtype=torch.bool))
    indexer.save()
    with pytest.raises(ValueError, match="built for model type 'col'.*'bi-encoder'"):
        run_search(tmp_path, bi_encoder, other, collection, k=3)


def test_non_positive_k_is_refused(index_dir: Path) -> None:
    for k in (0, -3):
        with pytest.raises(ValueError, match="k must be a positive integer"):
            TorchDenseSearchConfig(k=k)
    config = TorchDenseSearchConfig(k=3)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'k'"):
        config.k = 0  # type: ignore[misc]  # configs are immutable: a bad k cannot slip in after the check
    with pytest.raises(TypeError, match="search_config must be a SearchConfig"):
        SearchCallback(index_dir, 10)  # type: ignore[arg-type]


def test_search_with_the_module_index_and_without_any(
    tmp_path: Path, tiny_bert_dir: Path, index_dir: Path, collection: Path, bi_encoder: BiEncoderModule
) -> None:
    model_dir = shutil.copytree(tiny_bert_dir, tmp_path / "model")
    module = BiEncoderModule(str(model_dir), index_dir=index_dir, search_config=TorchDenseSearchConfig(k=2))
    module.model.load_state_dict(bi_encoder.model.state_dict())  # the weights the index was built with
    trainer = LightningIRTrainer(**quiet_trainer_kwargs(tmp_path))
    assert trainer.search(module, datamodule=query_data(collection), verbose=False) == [{}]
    run = read_run_file(model_dir / "runs" / "collection.run")  # the default place: beside the model
    assert len(run) == 8
    assert all(len(ranking) == 2 for ranking in run.values())
    assert trainer.callbacks == [cb for cb in trainer.callbacks if not isinstance(cb, SearchCallback)]
    with pytest.raises(ValueError, match=r"add SearchCallback\(index_dir, search_config\)"):
        trainer.search(BiEncoderModule(str(tiny_bert_dir)), datamodule=query_data(collection))
