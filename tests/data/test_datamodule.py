"""LightningIRDataModule: dataloaders per stage, shuffling, and the module's tokenizer in the collator."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch
from lightning import LightningModule, Trainer
from torch.utils.data import RandomSampler, SequentialSampler

from lightning_ir.data import (
    DocDataset,
    IndexBatch,
    LightningIRDataModule,
    QueryDataset,
    RankBatch,
    RunDataset,
    SearchBatch,
    TrainBatch,
    TupleDataset,
)

from .conftest import Corpus
from .test_collator import RecordingTokenizer


def datasets(corpus: Corpus) -> list:
    return [
        DocDataset(corpus.dataset_id),
        QueryDataset(corpus.dataset_id),
        RunDataset(corpus.trec_run, dataset_id=corpus.dataset_id),
        TupleDataset(corpus.dataset_id),
    ]


def test_batch_sizes_are_required(corpus: Corpus) -> None:
    with pytest.raises(ValueError, match="train_batch_size is required"):
        LightningIRDataModule(train_dataset=TupleDataset(corpus.dataset_id))
    with pytest.raises(ValueError, match="inference_batch_size is required"):
        LightningIRDataModule(inference_datasets=[DocDataset(corpus.dataset_id)])
    with pytest.raises(ValueError, match="stage 'fit' needs a train_dataset"):
        LightningIRDataModule().setup("fit")


def test_inference_validation_and_test_dataloaders(corpus: Corpus) -> None:
    module = LightningIRDataModule(inference_batch_size=2, inference_datasets=datasets(corpus), length_bucketing=False)
    module.setup("predict")
    loaders = module.inference_dataloader()
    first_batches = [next(iter(loader)) for loader in loaders]
    assert [type(batch) for batch in first_batches] == [IndexBatch, SearchBatch, RankBatch, TrainBatch]
    assert first_batches[0].doc_ids == ["d1", "d2"]
    assert first_batches[1].query_ids == ["q1", "q2"]
    assert first_batches[2].doc_ids == [["d2", "d3", "d1", "d5"], ["d4", "d5", "d1"]]
    assert [len(list(loader)) for loader in loaders] == [3, 2, 2, 2]
    assert isinstance(loaders[2].sampler, SequentialSampler)
    validation = module.val_dataloader()
    assert [type(loader.dataset) for loader in validation] == [RunDataset, TupleDataset]
    assert [type(loader.dataset) for loader in module.test_dataloader()] == [type(d) for d in datasets(corpus)]
    bucketed = LightningIRDataModule(inference_batch_size=2, inference_datasets=datasets(corpus))
    loaders = bucketed.test_dataloader()
    assert [type(batch) for batch in (next(iter(loader)) for loader in loaders)] == [
        IndexBatch,
        SearchBatch,
        RankBatch,
        TrainBatch,
    ]
    assert [type(loader.dataset.dataset) for loader in loaders] == [type(d) for d in datasets(corpus)]
    assert [len(list(loader)) for loader in loaders] == [3, 2, 2, 2]


def test_train_dataloader_shuffles_map_style_only(corpus: Corpus) -> None:
    run = RunDataset(corpus.trec_run, dataset_id=corpus.dataset_id, targets="relevance")
    loader = LightningIRDataModule(train_dataset=run, train_batch_size=3).train_dataloader()
    assert isinstance(loader.sampler, RandomSampler)
    torch.manual_seed(0)
    assert sorted(next(iter(loader)).query_ids) == ["q1", "q2", "q3"]
    unshuffled = LightningIRDataModule(train_dataset=run, train_batch_size=3, shuffle_train=False).train_dataloader()
    assert next(iter(unshuffled)).query_ids == ["q1", "q2", "q3"]
    tuples = LightningIRDataModule(train_dataset=TupleDataset(corpus.dataset_id), train_batch_size=2)
    batch = next(iter(tuples.train_dataloader()))  # an iterable dataset is read in order
    assert isinstance(batch, TrainBatch)
    assert batch.query_ids == ["q1", "q2"]
    assert batch.targets is not None
    assert batch.targets.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_setup_gives_the_collator_the_module_tokenizer(corpus: Corpus) -> None:
    tokenizer = RecordingTokenizer()
    module = LightningIRDataModule(inference_batch_size=4, inference_datasets=[DocDataset(corpus.dataset_id)])
    module.trainer = SimpleNamespace(lightning_module=SimpleNamespace(tokenizer=tokenizer))  # type: ignore[assignment]
    module.setup("predict")
    batch = next(iter(module.inference_dataloader()[0]))
    assert batch.encodings is not None
    assert batch.encodings["doc_encoding"]["input_ids"].shape == (4, 3)


class TinyModule(LightningModule):
    """Scores documents with one weight; records the batches it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.tokenizer = RecordingTokenizer()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.seen: list[str] = []

    def training_step(self, batch: TrainBatch, batch_idx: int) -> torch.Tensor:
        assert isinstance(batch, TrainBatch)
        assert batch.encodings is not None
        assert batch.targets is not None
        self.seen.append(f"train:{','.join(batch.query_ids or [])}")
        return ((self.weight * torch.ones_like(batch.targets) - batch.targets) ** 2).mean()

    def validation_step(self, batch: RankBatch, batch_idx: int, dataloader_idx: int = 0) -> None:
        self.seen.append(f"val{dataloader_idx}:{type(batch).__name__}")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def quiet_trainer(**kwargs: Any) -> Trainer:
    """A CPU trainer that writes and prints nothing."""
    return Trainer(
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **kwargs,
    )


def test_fit_with_a_trainer(corpus: Corpus) -> None:
    data = LightningIRDataModule(
        train_dataset=TupleDataset(corpus.dataset_id),
        train_batch_size=3,
        inference_batch_size=3,
        inference_datasets=datasets(corpus),
    )
    module = TinyModule()
    quiet_trainer(max_steps=1, num_sanity_val_steps=0).fit(module, datamodule=data)
    assert module.seen == ["train:q1,q2,q3", "val0:RankBatch", "val1:TrainBatch"]
    assert data.collator.tokenizer is module.tokenizer


@pytest.mark.parametrize("num_workers", [0, 1])
def test_fit_shuffles_a_tuple_dataset_anew_every_epoch(corpus: Corpus, num_workers: int) -> None:
    def dataset() -> TupleDataset:
        return TupleDataset(corpus.dataset_id, shuffle_buffer=10, seed=5)

    data = LightningIRDataModule(train_dataset=dataset(), train_batch_size=3, num_workers=num_workers)
    module = TinyModule()
    quiet_trainer(max_epochs=4).fit(module, datamodule=data)
    expected = []
    for epoch in range(4):
        shuffled = dataset()
        shuffled.set_epoch(epoch)
        expected.append("train:" + ",".join(sample.query_id for sample in shuffled))
    assert module.seen == expected
    assert len(set(expected)) > 1
