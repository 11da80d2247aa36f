"""Hard-negative mining: training tuples from a first stage's rankings of a dataset's judged training queries.

For every training query with judged-relevant documents, a first stage ranks the collection (a run file any stage
wrote, a BM25 index, or a dense index searched with a bi-encoder, e.g. the model being trained); each relevant
document becomes the positive of one tuple whose negatives are drawn from a rank window of that ranking (see
:class:`~lightning_ir.experiment.negatives.NegativeSampler`). Optionally a teacher module scores every tuple. The
result is a training-tuples folder (:mod:`lightning_ir.experiment.training_tuples`) that
``TupleDataset(<folder>)`` reads, with ``targets="score"`` when a teacher scored it.

From the command line: ``lightning-ir mine --config configs/mine-scifact.yaml`` (see :mod:`lightning_ir.commands.mine`).
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import atomic_directory, check_replaceable
from ..base.module import LightningIRModule
from ..data.ir_datasets_utils import doc_text, load_dataset, qrels_by_query, query_text
from ..data.judgements import judgements_of
from ..data.local_formats import LocalDocTuple
from ..data.validation import InputFileError
from ..validation import check_positive
from .first_stages import FirstStage
from .negatives import NegativeSampler, NegativeSampling
from .pipeline_context import PipelineContext
from .runs import load_run, ranked
from .teacher_scores import teacher_description, teacher_scores
from .training_tuples import RUNS_DIR, WHAT, is_tuples_folder, write_tuples_files


@dataclass
class MiningResult:
    """What a mining run produced.

    Attributes:
        output_dir: The training-tuples folder written.
        num_tuples: Tuples written (one per judged-relevant document of the queries that got tuples).
        num_queries: Queries with tuples.
        skipped: Queries without tuples, by reason (``no_positive``, ``no_ranking``, ``too_few_candidates``).
        run: The run the negatives were taken from.
        seconds: Wall-clock seconds of the steps (``first-stage``, ``sampling``, ``teacher``, ``writing``).
    """

    output_dir: Path
    num_tuples: int
    num_queries: int
    skipped: dict[str, int]
    run: Path
    seconds: dict[str, float] = field(default_factory=dict)


class HardNegativeMiner:
    """Mines training tuples (a positive and hard negatives per judged-relevant document) for a dataset's queries.

    Example::

        miner = HardNegativeMiner(
            query_dataset="beir/scifact/train",
            output_dir="mined/scifact-train",
            first_stage=BM25Stage("indexes/scifact-bm25", index=False),
            num_negatives=7,
            min_rank=4,
        )
        result = miner.run()
        TupleDataset(str(result.output_dir))

    Args:
        query_dataset: The training queries with their qrels and documents (an ir_datasets id such as
            ``beir/scifact/train``, a registered local collection or a collection folder).
        output_dir: The training-tuples folder to write (an existing one is replaced, nothing else).
        run: A run (TREC or JSONL) of the queries to take the negatives from; or give ``first_stage``.
        first_stage: A :class:`~lightning_ir.experiment.first_stages.FirstStage` (``BM25Stage``, ``DenseStage``) that
            ranks the queries; its run is kept in ``<output_dir>/runs/``. Its ``search_config.k`` should reach
            ``max_rank``.
        doc_dataset: The documents a first stage indexes when it builds its index (default: the query dataset's).
        num_negatives: Negatives per tuple.
        min_rank: Best rank the negatives are taken from (``4`` skips the top 3).
        max_rank: Worst rank the negatives are taken from.
        exclude_relevant: Never take a document judged relevant for the query as a negative.
        min_relevance: The lowest relevance label that makes a document a positive.
        sampling: ``random`` (seeded) or ``top`` (the best-ranked candidates).
        seed: Seed of ``random`` sampling and of the shuffle.
        shuffle: Write the tuples in a seeded random order (a ``TupleDataset`` is read in file order, and tuples of
            one query side by side would be each other's in-batch negatives); False keeps the qrels' query order.
        teacher: A module that scores every tuple (the scores are written with the tuples).
        teacher_batch_size: Tuples the teacher scores together.
        trainer_kwargs: Keyword arguments of the trainer of a dense first stage (default: no logger, no summary).

    Raises:
        ValueError: Neither or both of ``run`` and ``first_stage``, or an invalid sampling option.
    """

    def __init__(
        self,
        query_dataset: str,
        output_dir: str | Path,
        run: str | Path | None = None,
        first_stage: FirstStage | None = None,
        doc_dataset: str | None = None,
        num_negatives: int = 7,
        min_rank: int = 4,
        max_rank: int = 100,
        exclude_relevant: bool = True,
        min_relevance: int = 1,
        sampling: NegativeSampling = "random",
        seed: int = 0,
        shuffle: bool = True,
        teacher: LightningIRModule | None = None,
        teacher_batch_size: int = 16,
        trainer_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if (run is None) == (first_stage is None):
            raise ValueError("HardNegativeMiner: give either run (a run file) or first_stage (BM25Stage, DenseStage)")
        self.query_dataset = query_dataset
        self.output_dir = Path(output_dir)
        self.run_file = None if run is None else Path(run)
        self.first_stage = first_stage
        self.doc_dataset = doc_dataset
        self.sampler = NegativeSampler(
            num_negatives, min_rank, max_rank, exclude_relevant, min_relevance, sampling, seed
        )
        self.shuffle = shuffle
        self.teacher = teacher
        self.teacher_batch_size = check_positive("HardNegativeMiner", "teacher_batch_size", teacher_batch_size)
        defaults = {"logger": False, "enable_model_summary": False, "enable_progress_bar": False}
        self.trainer_kwargs = {**defaults, **(trainer_kwargs or {})}

    def run(self) -> MiningResult:
        """Ranks the queries (or reads the run), samples the negatives, scores the tuples and writes the folder.

        Every input is checked before the first stage runs; nothing is left behind when a step fails.

        Raises:
            OverwriteRefusedError: ``output_dir`` exists and is not a training-tuples folder.
            FileNotFoundError: The run file does not exist.
            InputFileError: The run names queries the dataset does not have, or shares no query with its qrels.
            ValueError: The dataset has no qrels or no documents, or no query yields a tuple.
        """
        dataset = load_dataset(self.query_dataset)
        for entity in ("queries", "qrels", "docs"):
            if not dataset.has(entity):
                raise ValueError(
                    f"HardNegativeMiner: '{self.query_dataset}' has no {entity}; mining needs the training queries, "
                    "their relevance judgements (the positives) and the documents"
                )
        check_replaceable(self.output_dir, is_tuples_folder, WHAT)
        if self.run_file is not None and not self.run_file.is_file():
            raise FileNotFoundError(f"HardNegativeMiner: run file {self.run_file} does not exist")
        seconds: dict[str, float] = {}
        with atomic_directory(self.output_dir, is_tuples_folder, WHAT) as staging:
            run_path = self._first_stage_run(staging, seconds)
            start = time.perf_counter()
            queries = {query.query_id: query_text(query) for query in dataset.queries_iter()}
            qrels = _judgements(dataset)
            tuples, skipped = self._sample(run_path, queries, qrels)
            docs = _doc_texts(dataset, tuples, run_path)
            seconds["sampling"] = time.perf_counter() - start
            if self.teacher is not None:
                start = time.perf_counter()
                tuples = self._scored(tuples, queries, docs)
                seconds["teacher"] = time.perf_counter() - start
            start = time.perf_counter()
            write_tuples_files(staging, tuples, queries, docs, qrels, self._manifest(run_path, skipped))
            seconds["writing"] = time.perf_counter() - start
        if run_path.parent == staging / RUNS_DIR:
            run_path = self.output_dir / RUNS_DIR / run_path.name
        num_queries = len({item.query_id for item in tuples})
        return MiningResult(self.output_dir, len(tuples), num_queries, skipped, run_path, seconds)

    def _first_stage_run(self, staging: Path, seconds: dict[str, float]) -> Path:
        """The run file to mine: the given one, or the first stage's, run into ``<staging>/runs``.

        A given run file inside ``output_dir`` (the run of an earlier mining, re-mined with other options) is copied
        into ``<staging>/runs`` first: the old folder, and the file with it, is replaced.
        """
        if self.first_stage is None:
            assert self.run_file is not None
            if not self.run_file.resolve().is_relative_to(self.output_dir.resolve()):
                return self.run_file
            copy = staging / RUNS_DIR / self.run_file.name
            copy.parent.mkdir(exist_ok=True)
            shutil.copy2(self.run_file, copy)
            return copy
        context = PipelineContext(
            query_dataset=self.query_dataset,
            doc_dataset=self.doc_dataset or self.query_dataset,
            runs_dir=staging / RUNS_DIR,
            trainer_kwargs={"default_root_dir": str(staging.parent), **self.trainer_kwargs},
        )
        self.first_stage.check(context)
        stage_run = self.first_stage.run(context)
        seconds["first-stage"] = sum(stage_run.seconds.values())
        return stage_run.path

    def _sample(
        self, run_path: Path, queries: dict[str, str], qrels: dict[str, dict[str, int]]
    ) -> tuple[list[LocalDocTuple], dict[str, int]]:
        """The tuples of every judged query, and the number of queries skipped per reason."""
        run = load_run(run_path)
        unknown = [query_id for query_id in run if query_id not in queries]
        if unknown:
            raise InputFileError(
                f"HardNegativeMiner: run file {run_path} ranks {len(unknown)} queries that '{self.query_dataset}' does "
                f"not have, e.g. {unknown[:5]}; mine with a run of the dataset's own queries"
            )
        if not any(query_id in run for query_id in qrels):
            raise InputFileError(
                f"HardNegativeMiner: run file {run_path} ranks none of the judged queries of '{self.query_dataset}'"
            )
        tuples: list[LocalDocTuple] = []
        skipped: dict[str, int] = {}
        for query_id, judged in qrels.items():
            if query_id not in queries:
                continue
            ranking = [doc_id for doc_id, _ in ranked(run[query_id])] if query_id in run else None
            query_tuples, reason = self.sampler.tuples(query_id, ranking, judged)
            tuples.extend(query_tuples)
            if reason is not None:
                skipped[reason] = skipped.get(reason, 0) + 1
        if self.shuffle:
            random.Random(f"{self.sampler.seed}/shuffle").shuffle(tuples)
        if not tuples:
            raise ValueError(
                f"HardNegativeMiner: no query of '{self.query_dataset}' yields a tuple (queries skipped: {skipped}); "
                f"widen the rank window (min_rank {self.sampler.min_rank}, max_rank {self.sampler.max_rank}) or ask "
                f"for fewer than {self.sampler.num_negatives} negatives"
            )
        return tuples, skipped

    def _scored(
        self, tuples: list[LocalDocTuple], queries: dict[str, str], docs: dict[str, str]
    ) -> list[LocalDocTuple]:
        assert self.teacher is not None
        query_texts = [queries[item.query_id] for item in tuples]
        doc_texts = [[docs[doc_id] for doc_id in item.doc_ids] for item in tuples]
        scores = teacher_scores(self.teacher, query_texts, doc_texts, self.teacher_batch_size)
        return [item._replace(scores=score) for item, score in zip(tuples, scores, strict=True)]

    def _manifest(self, run_path: Path, skipped: dict[str, int]) -> dict[str, Any]:
        sampler = self.sampler
        source = "run file" if self.first_stage is None else f"first stage {type(self.first_stage).__name__}"
        return {
            "source_dataset": self.query_dataset,
            "mining": {
                "source": source,
                "run": f"{RUNS_DIR}/{run_path.name}" if run_path.parent.name == RUNS_DIR else str(run_path),
                "num_negatives": sampler.num_negatives,
                "min_rank": sampler.min_rank,
                "max_rank": sampler.max_rank,
                "exclude_relevant": sampler.exclude_relevant,
                "min_relevance": sampler.min_relevance,
                "sampling": sampler.sampling,
                "seed": sampler.seed,
                "shuffle": self.shuffle,
                "skipped_queries": skipped,
            },
            "teacher": None if self.teacher is None else teacher_description(self.teacher),
        }


def _judgements(dataset: Any) -> dict[str, dict[str, int]]:
    """The dataset's qrels as ``{query_id: {doc_id: relevance}}`` (highest label of a document judged twice)."""
    return judgements_of(record for judged in qrels_by_query(dataset).values() for record in judged)


def _doc_texts(dataset: Any, tuples: list[LocalDocTuple], run_path: Path) -> dict[str, str]:
    """The text of every document of the tuples.

    Raises:
        InputFileError: The run names documents the collection does not have.
    """
    doc_ids = list(dict.fromkeys(doc_id for item in tuples for doc_id in item.doc_ids))
    found = dataset.docs_store().get_many(doc_ids)
    missing = [doc_id for doc_id in doc_ids if doc_id not in found]
    if missing:
        raise InputFileError(
            f"HardNegativeMiner: {len(missing)} documents of run file {run_path} or of the qrels are not in the "
            f"collection, e.g. {missing[:5]}"
        )
    return {doc_id: doc_text(found[doc_id]) for doc_id in doc_ids}
