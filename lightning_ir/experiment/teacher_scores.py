"""Teacher scores for training tuples: a module (e.g. a cross-encoder) scores every (query, document) pair of a tuple.

The scores are written into the tuples file of a training-tuples folder (see
:mod:`lightning_ir.experiment.training_tuples`), from where ``TupleDataset(folder, targets="score")`` reads them as
the targets of the distillation losses (``SupervisedMarginMSE``, ``KLDivergence``, ``ApproxRankMSE``, ...).
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..atomic import atomic_directory, check_replaceable
from ..base.module import LightningIRModule
from ..data.judgements import add_judgement
from ..data.local_formats import LocalDocTuple
from ..data.samples import RankSample
from ..validation import check_positive
from .training_tuples import RUNS_DIR, WHAT, is_tuples_folder, read_manifest, write_tuples_files


def teacher_scores(
    module: LightningIRModule, queries: Sequence[str], docs: Sequence[Sequence[str]], batch_size: int = 16
) -> list[tuple[float, ...]]:
    """Scores each query's documents with ``module.score``, ``batch_size`` queries at a time.

    Args:
        module: Any Lightning IR module (a cross-encoder, a bi-encoder, ...), on the device it should run on.
        queries: One text per tuple.
        docs: Per tuple, its document texts.
        batch_size: Tuples scored together.

    Returns:
        Per tuple, one score per document.

    Raises:
        ValueError: ``batch_size`` is not positive, the numbers of queries and document lists differ, or the module
            gives a score that is not a finite number (naming the tuple) or not one score per document.
    """
    check_positive("teacher_scores", "batch_size", batch_size)
    if len(queries) != len(docs):
        raise ValueError(f"teacher_scores: {len(queries)} queries but {len(docs)} document lists")
    module.eval()
    scores: list[tuple[float, ...]] = []
    for start in range(0, len(queries), batch_size):
        batch_docs = [list(group) for group in docs[start : start + batch_size]]
        flat = module.score(list(queries[start : start + batch_size]), batch_docs).scores.float().cpu().tolist()
        expected = sum(len(group) for group in batch_docs)
        if len(flat) != expected:
            raise ValueError(
                f"teacher_scores: {type(module).__name__} gave {len(flat)} scores for the {expected} documents of "
                f"tuples {start + 1}..{start + len(batch_docs)}; one score per document is needed"
            )
        offset = 0
        for group in batch_docs:
            scores.append(tuple(flat[offset : offset + len(group)]))
            offset += len(group)
    for number, tuple_scores in enumerate(scores, start=1):
        if not all(math.isfinite(score) for score in tuple_scores):
            raise ValueError(f"teacher_scores: the module scored tuple {number} {list(tuple_scores)}; not finite")
    return scores


def teacher_description(module: LightningIRModule) -> dict[str, Any]:
    """What the manifest records about a teacher: its module class and the model it was loaded from."""
    return {"module": type(module).__name__, "model": str(module.config.name_or_path)}


def score_tuples(
    module: LightningIRModule,
    tuples_dataset: str,
    output_dir: str | Path,
    batch_size: int = 16,
    num_docs: int | None = None,
) -> Path:
    """Scores every tuple of a dataset with a teacher module and writes a training-tuples folder with the scores.

    Example::

        teacher = CrossEncoderModule("models/my-cross-encoder")
        score_tuples(teacher, "mined/scifact-train", "mined/scifact-train-scored")
        TupleDataset("mined/scifact-train-scored", targets="score")  # teacher scores as targets

    Args:
        module: The teacher (any Lightning IR module), on the device it should run on.
        tuples_dataset: A dataset with docpairs: a training-tuples folder, a collection folder, a registered local
            collection or an ir_datasets id.
        output_dir: The folder to write; it may be ``tuples_dataset`` itself when that is a training-tuples folder
            (replaced atomically, its first-stage runs kept). Anything else that exists is refused.
        batch_size: Tuples scored together.
        num_docs: Keep only the first ``num_docs`` documents of each tuple (all when None).

    Returns:
        The folder written.

    Raises:
        OverwriteRefusedError: ``output_dir`` exists and is not a training-tuples folder (checked before scoring).
        ValueError: The dataset is unknown or has no tuples, or the teacher gives a non-finite score.
    """
    from ..data.tuple_dataset import TupleDataset

    check_replaceable(output_dir, is_tuples_folder, WHAT)
    samples = list(TupleDataset(tuples_dataset, num_docs=num_docs).iter_all())
    if not samples:
        raise ValueError(f"score_tuples: '{tuples_dataset}' holds no tuple")
    scores = teacher_scores(module, [s.query for s in samples], [s.docs for s in samples], batch_size)
    tuples = [LocalDocTuple(s.query_id, tuple(s.doc_ids), score) for s, score in zip(samples, scores, strict=True)]
    source = Path(tuples_dataset)
    previous = read_manifest(source) if source.is_dir() else None
    manifest = {
        "source_dataset": str((previous or {}).get("source_dataset", tuples_dataset)),
        "mining": (previous or {}).get("mining"),
        "teacher": teacher_description(module),
    }
    with atomic_directory(output_dir, is_tuples_folder, WHAT) as staging:
        write_tuples_files(staging, tuples, *_texts(samples), manifest)
        if previous is not None and (source / RUNS_DIR).is_dir():
            shutil.copytree(source / RUNS_DIR, staging / RUNS_DIR)
    return Path(output_dir)


def _texts(samples: Sequence[RankSample]) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, int]]]:
    """The query texts, document texts and judgements that samples carry."""
    queries = {sample.query_id: sample.query for sample in samples}
    docs = {doc_id: doc for sample in samples for doc_id, doc in zip(sample.doc_ids, sample.docs, strict=True)}
    qrels: dict[str, dict[str, int]] = {}
    for sample in samples:
        for qrel in sample.qrels or []:
            add_judgement(qrels, sample.query_id, qrel["doc_id"], qrel["relevance"])
    return queries, docs, qrels
