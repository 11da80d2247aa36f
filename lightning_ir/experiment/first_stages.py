"""First stages of a pipeline: BM25 and dense retrieval, each indexing first or searching an existing index."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from pathlib import Path

from ..bi_encoder.module import BiEncoderModule
from ..callbacks import IndexCallback, SearchCallback
from ..data import DocDataset, LightningIRDataModule, QueryDataset
from ..retrieve.base.format import check_index_target, read_metadata
from ..retrieve.base.index_config import IndexConfig
from ..retrieve.base.search_config import SearchConfig
from ..retrieve.bm25 import BM25IndexConfig, BM25Indexer, BM25SearchConfig, BM25Searcher
from ..retrieve.torch import TorchDenseSearchConfig
from .pipeline_context import PipelineContext, StageRun, check_stage_name


class FirstStage(ABC):
    """A stage that retrieves from the whole collection and writes ``runs/<name>.run``.

    Args:
        index_dir: The stage's index directory.
        index: Build the index from the pipeline's ``doc_dataset`` first (replacing a previous Lightning IR index
            there, never anything else); False searches the index already at ``index_dir``.
        name: The stage's name: its run is ``runs/<name>.run`` and its row in the report.
    """

    def __init__(self, index_dir: str | Path, index: bool, name: str) -> None:
        self.index_dir = Path(index_dir)
        self.index = index
        self.name = check_stage_name(name)

    def check(self, context: PipelineContext) -> None:
        """Checks, before any stage runs, that the index can be built (or exists) and the run may be written.

        Raises:
            OverwriteRefusedError: ``index_dir`` holds something that is not a Lightning IR index.
            FileNotFoundError: ``index=False`` and there is no index at ``index_dir``.
            ValueError: The index is to be built but the pipeline has no ``doc_dataset``, or the existing index is of
                a type the stage cannot search.
        """
        if self.index:
            context.require_doc_dataset(self.name)
            check_index_target(self.index_dir)
            return
        index_type = read_metadata(self.index_dir).index_type
        if index_type not in self.index_types():
            raise ValueError(
                f"Pipeline: stage '{self.name}' cannot search the {index_type!r} index at {self.index_dir} (it reads "
                f"{list(self.index_types())} indexes)"
            )

    @abstractmethod
    def index_types(self) -> tuple[str, ...]:
        """The index types the stage searches."""

    def run(self, context: PipelineContext) -> StageRun:
        """Builds the index (when ``index``), searches it for the pipeline's queries and writes the run."""
        seconds: dict[str, float] = {}
        if self.index:
            start = time.perf_counter()
            self.build_index(context)
            seconds[f"{self.name}-index"] = time.perf_counter() - start
        start = time.perf_counter()
        path = self.search(context)
        seconds[f"{self.name}-search"] = time.perf_counter() - start
        return StageRun(path, seconds)

    @abstractmethod
    def build_index(self, context: PipelineContext) -> None:
        """Indexes the pipeline's ``doc_dataset`` into ``index_dir``."""

    @abstractmethod
    def search(self, context: PipelineContext) -> Path:
        """Searches ``index_dir`` for the pipeline's queries and writes ``context.run_path(name)``."""


class BM25Stage(FirstStage):
    """BM25 (bm25s) retrieval; see :class:`~lightning_ir.retrieve.BM25IndexConfig` for the settings.

    Args:
        index_dir: The BM25 index directory.
        index: Build the index first (see :class:`FirstStage`).
        index_config: BM25 parameters and tokenisation (default ``BM25IndexConfig()``, bm25s' defaults).
        search_config: ``k`` (default 100) and the scoring backend.
        name: The stage's name (default ``bm25``).
    """

    def __init__(
        self,
        index_dir: str | Path,
        index: bool = True,
        index_config: BM25IndexConfig | None = None,
        search_config: BM25SearchConfig | None = None,
        name: str = "bm25",
    ) -> None:
        super().__init__(index_dir, index, name)
        self.index_config = BM25IndexConfig() if index_config is None else index_config
        self.search_config = BM25SearchConfig() if search_config is None else search_config

    def index_types(self) -> tuple[str, ...]:
        """A BM25 stage searches BM25 indexes."""
        return (BM25Indexer.index_type,)

    def build_index(self, context: PipelineContext) -> None:
        """Indexes the documents with BM25."""
        BM25Indexer(self.index_dir, self.index_config).index(DocDataset(context.require_doc_dataset(self.name)))

    def search(self, context: PipelineContext) -> Path:
        """Searches the BM25 index and writes the run."""
        searcher = BM25Searcher(self.index_dir, self.search_config)
        return searcher.write_run(QueryDataset(context.query_dataset), context.run_path(self.name))


class DenseStage(FirstStage):
    """Retrieval with a bi-encoder through ``LightningIRTrainer.index`` and ``.search``.

    Args:
        module: The bi-encoder (e.g. ``BiEncoderModule("sentence-transformers/all-MiniLM-L6-v2")``).
        index_dir: The index directory.
        index: Build the index first (see :class:`FirstStage`).
        index_config: The index type (default: ``IndexCallback``'s, an exact dense index, or sparse for SPLADE).
        search_config: The search settings matching the index type (default ``TorchDenseSearchConfig(k=100)``).
        batch_size: Documents or queries encoded per batch.
        name: The stage's name (default ``dense``).
    """

    def __init__(
        self,
        module: BiEncoderModule,
        index_dir: str | Path,
        index: bool = True,
        index_config: IndexConfig | None = None,
        search_config: SearchConfig | None = None,
        batch_size: int = 32,
        name: str = "dense",
    ) -> None:
        super().__init__(index_dir, index, name)
        self.module = module
        self.index_config = index_config
        self.search_config = TorchDenseSearchConfig(k=100) if search_config is None else search_config
        self.batch_size = batch_size

    def index_types(self) -> tuple[str, ...]:
        """The index types of the search config's searcher."""
        return self.search_config.searcher_class.index_types

    def build_index(self, context: PipelineContext) -> None:
        """Encodes and indexes the documents."""
        dataset = DocDataset(context.require_doc_dataset(self.name))
        data = LightningIRDataModule(inference_datasets=[dataset], inference_batch_size=self.batch_size)
        trainer = context.trainer([IndexCallback(self.index_dir, self.index_config)])
        trainer.index(self.module, datamodule=data, verbose=False)

    def search(self, context: PipelineContext) -> Path:
        """Encodes the queries, searches the index and writes the run."""
        data = LightningIRDataModule(
            inference_datasets=[QueryDataset(context.query_dataset)], inference_batch_size=self.batch_size
        )
        callback = SearchCallback(
            self.index_dir, self.search_config, save_dir=context.runs_dir, run_name=context.run_path(self.name).name
        )
        context.trainer([callback]).search(self.module, datamodule=data, verbose=False)
        return callback.run_paths[0]
