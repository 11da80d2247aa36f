"""Length-bucketed inference writes the same indexes and run files as unbucketed inference."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir import BiEncoderModule, CrossEncoderModule
from lightning_ir.callbacks import IndexCallback, ReRankCallback, SearchCallback
from lightning_ir.data import DocDataset, LightningIRDataModule, QueryDataset, RunDataset
from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig
from lightning_ir.trainer import LightningIRTrainer
from tests.fixtures import quiet_trainer_kwargs, write_collection


def _data(dataset: object, bucketing: bool) -> LightningIRDataModule:
    return LightningIRDataModule(
        inference_datasets=[dataset],  # type: ignore[list-item]
        inference_batch_size=3,
        length_bucketing=bucketing,
        bucket_window=2,
    )


def _lines(path: Path) -> list[tuple[list[str], float]]:
    """Each run line's ``query_id Q0 doc_id rank`` and its score."""
    return [(line.split()[:4], float(line.split()[4])) for line in path.read_text().splitlines()]


def _assert_same_run(run: Path, reference: Path) -> None:
    lines, expected = _lines(run), _lines(reference)
    assert [fields for fields, _ in lines] == [fields for fields, _ in expected]  # same queries, order and ranks
    assert [score for _, score in lines] == pytest.approx([score for _, score in expected], abs=1e-5)


def test_bucketed_index_search_and_re_rank_equal_unbucketed(tmp_path: Path, tiny_bert_dir: Path) -> None:
    collection = str(write_collection(tmp_path / "collection"))
    bi_encoder = BiEncoderModule(str(tiny_bert_dir))
    cross_encoder = CrossEncoderModule(str(tiny_bert_dir))
    runs: dict[bool, dict[str, Path]] = {}
    for bucketing in (False, True):
        root = tmp_path / f"bucketing-{bucketing}"
        index = IndexCallback(root / "index", TorchDenseIndexConfig())
        search = SearchCallback(root / "index", TorchDenseSearchConfig(k=6), save_dir=root / "search")
        re_rank = ReRankCallback(save_dir=root / "re-rank")
        trainer = LightningIRTrainer(callbacks=[index, search, re_rank], **quiet_trainer_kwargs(root))
        trainer.index(bi_encoder, datamodule=_data(DocDataset(collection), bucketing), verbose=False)
        trainer.search(bi_encoder, datamodule=_data(QueryDataset(collection), bucketing), verbose=False)
        searched = RunDataset(str(search.run_paths[0]), dataset_id=collection)
        trainer.re_rank(cross_encoder, datamodule=_data(searched, bucketing), verbose=False)
        runs[bucketing] = {"search": search.run_paths[0], "re_rank": re_rank.run_paths[0]}
    _assert_same_run(runs[True]["search"], runs[False]["search"])
    _assert_same_run(runs[True]["re_rank"], runs[False]["re_rank"])
    assert len(_lines(runs[True]["re_rank"])) == 8 * 6
