"""Data: samples and batches, datasets (documents, queries, tuples, runs), collation and the data module.

Local collections: :func:`lightning_ir.data.ir_datasets_utils.register_local`.
"""

from __future__ import annotations

from .batches import IndexBatch, RankBatch, SearchBatch, TrainBatch
from .collator import LightningIRCollator
from .datamodule import LightningIRDataModule
from .doc_dataset import DocDataset
from .query_dataset import QueryDataset
from .run_dataset import RunDataset
from .run_file import read_run, write_run
from .samples import DocSample, QuerySample, RankSample
from .tuple_dataset import TupleDataset

__all__ = [
    "DocDataset",
    "DocSample",
    "IndexBatch",
    "LightningIRCollator",
    "LightningIRDataModule",
    "QueryDataset",
    "QuerySample",
    "RankBatch",
    "RankSample",
    "RunDataset",
    "SearchBatch",
    "TrainBatch",
    "TupleDataset",
    "read_run",
    "write_run",
]
