"""Accumulating runs and qrels over an evaluation epoch and computing ir_measures metrics over the whole set."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.judgements import add_judgement
from .distributed import gather_objects
from .outputs import Ranking


@dataclass
class EvaluationRecord:
    """What one validation set accumulates over an epoch: a run, the qrels and the loss."""

    run: dict[str, dict[str, float]] = field(default_factory=dict)
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)
    loss_sum: float = 0.0
    loss_count: int = 0
    positions: dict[str, int] = field(default_factory=dict)

    def add_rankings(
        self,
        rankings: Sequence[Ranking],
        qrels: Sequence[Mapping[str, Any]] | None = None,
        positions: Sequence[int] | None = None,
    ) -> None:
        """Adds a batch's rankings (a query seen again gets its documents added) and the qrels of its queries.

        ``positions`` (one per ranking) are the queries' positions in their dataset, which :meth:`in_dataset_order`
        restores.
        """
        for ranking in rankings:
            scores = ranking.scores.detach().float().cpu().tolist()
            self.run.setdefault(ranking.query_id, {}).update(zip(ranking.doc_ids, scores, strict=True))
        for qrel in qrels or []:
            add_judgement(self.qrels, qrel["query_id"], qrel["doc_id"], qrel["relevance"])
        for ranking, position in zip(rankings, positions or (), strict=False):
            self.positions[ranking.query_id] = min(position, self.positions.get(ranking.query_id, position))

    def merge(self, other: EvaluationRecord) -> None:
        """Adds another record's rankings, qrels and losses to this one (e.g. one gathered from another process)."""
        for query_id, ranking in other.run.items():
            self.run.setdefault(query_id, {}).update(ranking)
        for query_id, judgements in other.qrels.items():
            for doc_id, relevance in judgements.items():
                add_judgement(self.qrels, query_id, doc_id, relevance)
        self.loss_sum += other.loss_sum
        self.loss_count += other.loss_count
        for query_id, position in other.positions.items():
            self.positions[query_id] = min(position, self.positions.get(query_id, position))

    def in_dataset_order(self) -> dict[str, dict[str, float]]:
        """The run with its queries in dataset order when every query's position is known, else as added."""
        if not self.positions or any(query_id not in self.positions for query_id in self.run):
            return self.run
        return {query_id: self.run[query_id] for query_id in sorted(self.run, key=self.positions.__getitem__)}

    def evaluate(self, metrics: Sequence[str], dataset_name: str) -> dict[str, float]:
        """Every metric over the whole set (ir_measures' aggregate over queries), and the mean loss per query."""
        import ir_measures

        values: dict[str, float] = {}
        if "loss" in metrics and self.loss_count:
            values["loss"] = self.loss_sum / self.loss_count
        measures = {metric: ir_measures.parse_measure(metric) for metric in metrics if metric != "loss"}
        if not measures or not self.run:
            return values
        if not any(self.qrels.values()):
            warnings.warn(f"validation set {dataset_name} has no qrels; {list(measures)} not computed", stacklevel=3)
            return values
        results = ir_measures.calc_aggregate(list(measures.values()), self.qrels, self.run)
        for metric, measure in measures.items():
            values[metric] = float(results.get(measure, float("nan")))
        return values


def gather_record(record: EvaluationRecord) -> EvaluationRecord:
    """Merge the records of all processes (datasets are split across them); every process gets the merged record."""
    parts = gather_objects(record)
    if len(parts) == 1:
        return record
    merged = EvaluationRecord()
    for other in parts:
        merged.merge(other)
    return merged


@dataclass
class InferenceSummary:
    """What a module reports about one dataset of a test/inference run.

    Attributes:
        dataset: The dataset's readable name (see :meth:`LightningIRModule.inference_dataset_names`).
        num_queries: Number of queries ranked (0 when indexing).
        seconds: Wall-clock time spent on the dataset (this process).
        metrics: ``evaluation_metrics`` over all queries, when the dataset has qrels.
        run: The rankings of all processes, ``{query_id: {doc_id: score}}`` (what run files are written from).
        qrels: The judgements of the ranked queries, ``{query_id: {doc_id: relevance}}`` (empty without qrels).
    """

    dataset: str
    num_queries: int
    seconds: float
    metrics: dict[str, float]
    run: dict[str, dict[str, float]] = field(default_factory=dict)
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


class InferenceRecords:
    """The bookkeeping of a test/inference run, summarised at the end of the run.

    Per dataloader, it keeps the rankings and qrels of its batches and the time spent; they are gathered across
    processes once, when the run is summarised.
    """

    def __init__(self) -> None:
        self._pending: dict[int, list[tuple[Sequence[Ranking], Any, Sequence[int] | None]]] = {}
        self._times: dict[int, float] = {}
        self._clock = time.perf_counter()

    def add(
        self, dataloader_idx: int, rankings: Sequence[Ranking] | None, qrels: Any = None, positions: Any = None
    ) -> None:
        """Keeps a batch's rankings, qrels and query positions (nothing but the time for batches without rankings).

        The scores stay where they are (e.g. on the GPU) until :meth:`summarise`, so no step waits for the device.
        """
        if rankings is not None:
            self._pending.setdefault(dataloader_idx, []).append((rankings, qrels, positions))
        self._times[dataloader_idx] = time.perf_counter()

    def summarise(self, names: Mapping[int, str], metrics: Sequence[str]) -> list[InferenceSummary]:
        """One summary per dataloader: the gathered run, its size, the time, and ``metrics`` when it has qrels.

        The run lists its queries in dataset order when the batches carried positions (length-bucketed batches).
        """
        summaries = []
        previous = self._clock
        for dataloader_idx in range(len(names)):
            record = EvaluationRecord()
            for rankings, qrels, positions in self._pending.get(dataloader_idx, []):
                record.add_rankings(rankings, qrels, positions)
            record = gather_record(record)
            end = self._times.get(dataloader_idx, previous)
            values: dict[str, float] = {}
            if metrics and record.run and any(record.qrels.values()):
                values = record.evaluate(metrics, names[dataloader_idx])
            run = record.in_dataset_order()
            summaries.append(
                InferenceSummary(names[dataloader_idx], len(run), end - previous, values, run, record.qrels)
            )
            previous = end
        return summaries


def loader_names(loaders: Any, prefix: str) -> dict[int, str]:
    """Readable, unique names of a loop's dataloaders' datasets (``<prefix>_<index>`` when unknown)."""
    if loaders is None:
        return {}
    if not isinstance(loaders, Sequence):
        loaders = list(loaders.values()) if isinstance(loaders, Mapping) else [loaders]
    names: dict[int, str] = {}
    for index, loader in enumerate(loaders):
        name = dataset_name(getattr(loader, "dataset", None)) or f"{prefix}_{index}"
        if name in names.values():
            name = f"{name}_{index}"
        names[index] = name
    return names


def dataset_name(dataset: Any) -> str | None:
    """A readable name for a dataset, or ``None`` when it has none.

    The dataset's id (``beir/scifact/test``), a collection folder's name, or a run/tuples file's name without its
    suffix.
    """
    source = next(
        (
            value
            for attribute in ("run_path_or_id", "tuples_dataset", "query_dataset", "doc_dataset")
            if (value := getattr(dataset, attribute, None))
        ),
        None,
    )
    if source is None:
        return None
    path = Path(str(source))
    if path.is_file():
        return path.name.split(".")[0] if path.name.count(".") > 1 else path.stem
    if path.is_dir():
        return path.name
    return str(source)


def check_metrics(owner: str, metrics: Sequence[str] | None) -> None:
    """Raise a ValueError naming a metric that is neither ``"loss"`` nor an ir_measures measure."""
    if not metrics:
        return
    import ir_measures

    for metric in metrics:
        if metric == "loss":
            continue
        try:
            ir_measures.parse_measure(metric)
        except (NameError, ValueError, TypeError, SyntaxError) as error:
            raise ValueError(
                f"{owner}: evaluation metric {metric!r} is neither 'loss' nor an ir_measures measure "
                "(e.g. 'nDCG@10', 'RR@10', 'R@100')"
            ) from error
