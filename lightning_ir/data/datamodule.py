"""LightningIRDataModule: the dataloaders of every stage (fit, index, search, re-rank)."""

from __future__ import annotations

from collections.abc import Sequence

from lightning import LightningDataModule
from torch.utils.data import DataLoader, IterableDataset

from ..validation import check_positive_int
from .bucketing import DEFAULT_WINDOW, BucketCollator, LengthBucketedDataset
from .collator import LightningIRCollator
from .doc_dataset import DocDataset
from .query_dataset import QueryDataset
from .run_dataset import RunDataset
from .sharding import ShardedDataLoader
from .tuple_dataset import TupleDataset

InferenceDataset = DocDataset | QueryDataset | RunDataset | TupleDataset


class LightningIRDataModule(LightningDataModule):
    """Dataloaders for fine-tuning, indexing, search and re-ranking.

    Fine-tuning reads a Tuple or Run training set (and Run/Tuple validation sets), indexing a Doc dataset, search a
    Query dataset and re-ranking a Run dataset.

    All dataloaders collate with one :class:`LightningIRCollator`. On ``setup``, if the data module is attached to
    a trainer whose LightningModule has a ``tokenizer`` attribute, the collator gets that tokenizer, so batches
    arrive tokenised (``batch.encodings``) and tokenisation runs in the DataLoader workers.

    ``shuffle_train`` applies to map-style training sets (``RunDataset``). An iterable training set
    (``TupleDataset``) shuffles itself through a buffer and draws its negatives anew every epoch when asked to (its
    ``shuffle_buffer`` and ``sample_negatives``); the dataloaders tell it the epoch, also in DataLoader workers.

    Inference dataloaders (indexing, search, re-ranking: :meth:`inference_dataloader` and :meth:`test_dataloader`)
    are length-bucketed unless ``length_bucketing`` is off: documents, queries and re-ranking pairs are sorted by
    length within windows of ``bucket_window`` batches, so batches carry little padding (see
    :mod:`lightning_ir.data.bucketing`). Every item keeps its id, and run files keep the dataset's query order.
    Validation and prediction dataloaders are not bucketed (validation losses need whole queries; predictions come
    back in dataset order).

    Args:
        train_dataset: Training set.
        train_batch_size: Queries per training batch (required with ``train_dataset``).
        shuffle_train: Shuffle a map-style training set every epoch.
        inference_batch_size: Samples per batch for validation, test and inference (required with
            ``inference_datasets``).
        inference_datasets: Datasets for validation (the Run and Tuple datasets among them), testing and inference
            (all of them: Doc to index, Query to search, Run to re-rank).
        num_workers: DataLoader worker processes.
        length_bucketing: Batch inference datasets in length-sorted buckets.
        bucket_window: Batches per sorting window of length bucketing.

    Raises:
        ValueError: A batch size is missing for the datasets given, or ``bucket_window`` is not positive.
    """

    def __init__(
        self,
        train_dataset: RunDataset | TupleDataset | None = None,
        train_batch_size: int | None = None,
        shuffle_train: bool = True,
        inference_batch_size: int | None = None,
        inference_datasets: Sequence[InferenceDataset] | None = None,
        num_workers: int = 0,
        length_bucketing: bool = True,
        bucket_window: int = DEFAULT_WINDOW,
    ) -> None:
        super().__init__()
        if train_dataset is not None and train_batch_size is None:
            raise ValueError("LightningIRDataModule: train_batch_size is required with a train_dataset")
        if inference_datasets and inference_batch_size is None:
            raise ValueError("LightningIRDataModule: inference_batch_size is required with inference_datasets")
        self.train_dataset = train_dataset
        self.train_batch_size = train_batch_size
        self.shuffle_train = shuffle_train
        self.inference_batch_size = inference_batch_size
        self.inference_datasets = list(inference_datasets or [])
        self.num_workers = num_workers
        self.length_bucketing = length_bucketing
        self.bucket_window = check_positive_int("LightningIRDataModule", "bucket_window", bucket_window)
        self.collator = LightningIRCollator()

    def setup(self, stage: str) -> None:
        """Gives the collator the tokenizer of the trainer's LightningModule, if any.

        Raises:
            ValueError: ``stage == "fit"`` without a training set.
        """
        trainer = self.trainer
        module = getattr(trainer, "lightning_module", None) if trainer is not None else None
        tokenizer = getattr(module, "tokenizer", None)
        if tokenizer is not None:
            self.collator.tokenizer = tokenizer
        if stage == "fit" and self.train_dataset is None:
            raise ValueError("LightningIRDataModule: stage 'fit' needs a train_dataset")

    def _dataloader(self, dataset: InferenceDataset, batch_size: int | None, shuffle: bool = False) -> DataLoader:
        return ShardedDataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle and not isinstance(dataset, IterableDataset),
            num_workers=self.num_workers,
            collate_fn=self.collator,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        """The training dataloader (shuffled if ``shuffle_train`` and the training set is map-style)."""
        if self.train_dataset is None:
            raise ValueError("LightningIRDataModule: no train_dataset")
        return self._dataloader(self.train_dataset, self.train_batch_size, self.shuffle_train)

    def val_dataloader(self) -> list[DataLoader]:
        """One dataloader per Run or Tuple dataset among ``inference_datasets``."""
        validation = [d for d in self.inference_datasets if isinstance(d, RunDataset | TupleDataset)]
        return [self._dataloader(dataset, self.inference_batch_size) for dataset in validation]

    def test_dataloader(self) -> list[DataLoader]:
        """One dataloader per inference dataset."""
        return self.inference_dataloader()

    def predict_dataloader(self) -> list[DataLoader]:
        """One dataloader per inference dataset, in dataset order (not bucketed: predictions are returned in order)."""
        return [self._dataloader(dataset, self.inference_batch_size) for dataset in self.inference_datasets]

    def inference_dataloader(self) -> list[DataLoader]:
        """One dataloader per inference dataset: Doc for indexing, Query for search, Run for re-ranking.

        Length-bucketed unless ``length_bucketing`` is off (see the class docstring).
        """
        if not self.length_bucketing or self.inference_batch_size is None:
            return [self._dataloader(dataset, self.inference_batch_size) for dataset in self.inference_datasets]
        return [self._bucketed_dataloader(dataset, self.inference_batch_size) for dataset in self.inference_datasets]

    def _bucketed_dataloader(self, dataset: InferenceDataset, batch_size: int) -> DataLoader:
        return ShardedDataLoader(
            LengthBucketedDataset(dataset, batch_size, self.bucket_window),
            batch_size=None,
            num_workers=self.num_workers,
            collate_fn=BucketCollator(self.collator),  # type: ignore[arg-type]  # batch_size=None: one Bucket a call
            persistent_workers=self.num_workers > 0,
        )
