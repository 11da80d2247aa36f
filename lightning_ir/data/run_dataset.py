"""RunDataset: ranked lists (runs) as samples, for re-ranking, validation and training."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

import torch
from torch.utils.data import Dataset

from ..options import RunTargets, SamplingStrategy
from .ir_datasets_utils import DatasetRef, dataset_ref, doc_text, qrels_by_query, query_text
from .run_file import RunEntry, read_run
from .run_names import RUN_SUFFIXES, dataset_id_of_run_file
from .samples import RankSample
from .sampling import SAMPLING_STRATEGIES, sample_positions

RUN_TARGETS: tuple[str, ...] = get_args(RunTargets)


class RunDataset(Dataset[RankSample]):
    """A map-style dataset with one :class:`RankSample` per query of a run (queries in order of first appearance).

    **Sources.** ``run_path_or_id`` is a run file (TREC ``.run``/``.tsv``/``.txt`` with 6 columns, or JSONL, see
    :mod:`lightning_ir.data.run_file`), or an id (ir_datasets, :func:`register_local` or folder) whose collection
    has scoreddocs. Query and document texts come from the run (JSONL ``query`` and ``text``/``doc`` fields) or from
    the collection; a run file is tied to its collection by ``dataset_id``, else by its name: the part before the first
    ``.`` with ``__`` read as ``/`` (``beir__scifact__test.bm25.run`` -> ``beir/scifact/test``), if that is a known id.
    A JSONL run that carries all its texts needs no collection. The collection's qrels are attached to every sample;
    without a collection with qrels, the run's JSONL ``relevance`` fields (if any) serve as qrels (iteration ``"0"``).

    **Documents of a sample.** The query's documents in rank order (by rank, then descending score; JSONL runs
    without ranks are ranked by score, JSONL runs without scores have score ``-rank``), cut at ``depth``; with
    ``add_non_retrieved_docs`` the judged documents the run missed are appended (ranked after the retrieved ones,
    with score = lowest retrieved score - 1); then ``sample_size`` documents are picked by ``sampling_strategy``:
    ``top`` (the highest-ranked), ``random`` (uniform), ``log_random`` (probability proportional to
    ``1 / log2(rank + 1)``), ``top_and_random`` (half top, half uniform from the rest) or ``single_relevant`` (one
    random relevant document first, then the highest-ranked non-relevant ones; queries without a relevant
    document are left out, with a warning). See :func:`lightning_ir.data.sampling.sample_positions`.

    **Targets** (higher is more relevant): ``relevance`` (the qrels relevance, 0 if unjudged; the maximum over
    subtopics), ``subtopic_relevance`` (the number of subtopics, i.e. qrels ``iteration`` values, the document is
    relevant to), ``rank`` (of the ``n`` documents of the query's list, position ``p`` (1-based) gets ``n - p + 1``),
    ``score`` (the run score) or ``None`` (no targets: the collator builds a ``RankBatch``). With
    ``normalize_targets`` each sample's targets are min-max scaled to [0, 1] (equal targets become 1 if positive,
    else 0).

    Args:
        run_path_or_id: Run file or dataset id.
        depth: Keep the ``depth`` highest-ranked documents of each query (all when ``-1``).
        sample_size: Documents per sample (all when ``-1``).
        sampling_strategy: See above.
        targets: See above.
        normalize_targets: Min-max scale targets per sample.
        add_non_retrieved_docs: Append judged documents that the run does not contain.
        dataset_id: The collection that provides texts and qrels for a run file (overrides the name rule).

    Raises:
        FileNotFoundError: The run file does not exist.
        ValueError: Malformed run line (names file and line), unknown id, unknown option, duplicate document,
            a query without text or with different texts on two lines, or qrels needed but missing.
    """

    def __init__(
        self,
        run_path_or_id: str | Path,
        depth: int = -1,
        sample_size: int = -1,
        sampling_strategy: SamplingStrategy = "top",
        targets: RunTargets | None = None,
        normalize_targets: bool = False,
        add_non_retrieved_docs: bool = False,
        dataset_id: str | None = None,
    ) -> None:
        super().__init__()
        if sampling_strategy not in SAMPLING_STRATEGIES:
            raise ValueError(f"RunDataset: sampling_strategy must be one of {SAMPLING_STRATEGIES}")
        if targets is not None and targets not in RUN_TARGETS:
            raise ValueError(f"RunDataset: targets must be None or one of {RUN_TARGETS}, got {targets!r}")
        self.run_path_or_id = str(run_path_or_id)
        self.depth, self.sample_size = depth, sample_size
        self.sampling_strategy, self.targets = sampling_strategy, targets
        self.normalize_targets, self.add_non_retrieved_docs = normalize_targets, add_non_retrieved_docs
        entries, self._source, self._ref = self._open(self.run_path_or_id, dataset_id)
        collection = self._ref.load() if self._ref is not None else None
        self._has_qrels, self._qrels = self._find_qrels(collection, entries)
        needs_qrels = targets in ("relevance", "subtopic_relevance") or add_non_retrieved_docs
        if (needs_qrels or sampling_strategy == "single_relevant") and not self._has_qrels:
            raise ValueError(f"RunDataset: {self._source} has no qrels (needed for the chosen targets/options)")
        self._runs = self._group(entries)
        self._queries = self._query_texts(collection)
        if add_non_retrieved_docs:
            self._add_non_retrieved()
        self._check_doc_source(collection)
        self._query_ids = list(self._runs)
        if sampling_strategy == "single_relevant":
            self._drop_queries_without_relevant()
        self._store: Any = None

    def _open(self, run: str, dataset_id: str | None) -> tuple[list[RunEntry], str, DatasetRef | None]:
        path = Path(run)
        if path.suffix in RUN_SUFFIXES or path.is_file():
            ref = dataset_ref(dataset_id) if dataset_id is not None else _ref_from_name(path)
            return list(read_run(path)), str(path), ref
        ref = dataset_ref(run)
        local_run = ref.spec.file("scoreddocs") if ref.spec is not None else None
        collection_ref = dataset_ref(dataset_id) if dataset_id is not None else ref
        if local_run is not None:
            return list(read_run(local_run)), str(local_run), collection_ref
        dataset = ref.load()
        if not dataset.has_scoreddocs():
            raise ValueError(f"RunDataset: '{run}' has no scoreddocs (a run) and is not a run file")
        entries = [
            RunEntry(s.query_id, s.doc_id, None, float(s.score), n) for n, s in enumerate(dataset.scoreddocs_iter(), 1)
        ]
        bad = next((entry for entry in entries if not math.isfinite(entry.score)), None)
        if bad is not None:
            raise ValueError(
                f"RunDataset: entry {bad.line} of the scoreddocs of '{run}' has score {bad.score}, not a finite number"
            )
        return entries, f"scoreddocs of '{run}'", collection_ref

    def _find_qrels(self, collection: Any, entries: list[RunEntry]) -> tuple[bool, dict[str, list[dict[str, Any]]]]:
        """The collection's qrels, else the run's ``relevance`` fields, else none: ``(has qrels, qrels by query)``."""
        if collection is not None and collection.has_qrels():
            return True, qrels_by_query(collection)
        qrels: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            if entry.relevance is not None:
                qrel = {
                    "query_id": entry.query_id,
                    "doc_id": entry.doc_id,
                    "iteration": "0",
                    "relevance": entry.relevance,
                }
                qrels.setdefault(entry.query_id, []).append(qrel)
        return bool(qrels), qrels

    def _where(self, line: int) -> str:
        if line == 0:
            return f"the qrels of '{self._ref.dataset_id if self._ref else ''}'"
        prefix = "entry" if self._source.startswith("scoreddocs of") else "line"
        return f"{prefix} {line} of {self._source}"

    def _group(self, entries: Iterable[RunEntry]) -> dict[str, list[RunEntry]]:
        runs: dict[str, list[RunEntry]] = {}
        seen: dict[tuple[str, str], int] = {}
        for entry in entries:
            key = (entry.query_id, entry.doc_id)
            if key in seen:
                raise ValueError(
                    f"RunDataset: {self._where(entry.line)} repeats document '{entry.doc_id}' for query "
                    f"'{entry.query_id}' (first on line {seen[key]}); expected each document once per query"
                )
            seen[key] = entry.line
            runs.setdefault(entry.query_id, []).append(entry)
        for query_entries in runs.values():
            query_entries.sort(key=lambda e: (e.rank if e.rank is not None else 0, -e.score))
            if self.depth > 0:
                del query_entries[self.depth :]
        return runs

    def _query_texts(self, collection: Any) -> dict[str, str]:
        texts = {qid: self._inline_query_text(run) for qid, run in self._runs.items()}
        if all(text is not None for text in texts.values()):
            return {qid: str(text) for qid, text in texts.items()}
        known: dict[str, str] = {}
        if collection is not None and collection.has_queries():
            known = {query.query_id: query_text(query) for query in collection.queries_iter()}
        result = {}
        for qid, text in texts.items():
            if text is None and qid not in known:
                where = self._where(min(e.line for e in self._runs[qid]))
                if self._ref is None:
                    raise ValueError(
                        f"RunDataset: {where} has no query text and no collection is known: pass dataset_id=... "
                        "or add 'query' fields to a JSONL run"
                    )
                raise ValueError(f"RunDataset: {where} names query '{qid}', not in '{self._ref.dataset_id}'")
            result[qid] = text if text is not None else known[qid]
        return result

    def _inline_query_text(self, run: list[RunEntry]) -> str | None:
        """The query text the run gives on its lines for one query (refused when two lines disagree)."""
        first = next((entry for entry in run if entry.query is not None), None)
        if first is None:
            return None
        other = next((entry for entry in run if entry.query is not None and entry.query != first.query), None)
        if other is not None:
            raise ValueError(
                f"RunDataset: {self._where(other.line)} gives query '{other.query_id}' the text {other.query!r}, "
                f"but line {first.line} gave it {first.query!r}"
            )
        return first.query

    def _check_doc_source(self, collection: Any) -> None:
        lacking = next((e for run in self._runs.values() for e in run if e.doc is None), None)
        if lacking is not None and (collection is None or not collection.has_docs()):
            raise ValueError(
                f"RunDataset: {self._where(lacking.line)} has no document text and no collection with documents is "
                "known: pass dataset_id=... or add 'doc' fields to a JSONL run"
            )

    def _add_non_retrieved(self) -> None:
        for qid, run in self._runs.items():
            in_run = {entry.doc_id for entry in run}
            lowest = min((entry.score for entry in run), default=0.0) - 1.0
            for qrel in self._qrels.get(qid, []):
                if qrel["doc_id"] not in in_run:
                    in_run.add(qrel["doc_id"])
                    run.append(RunEntry(qid, qrel["doc_id"], None, lowest, 0))

    def _drop_queries_without_relevant(self) -> None:
        keep = [
            qid
            for qid in self._query_ids
            if any(_relevance(self._qrels.get(qid, [])).get(e.doc_id, 0) > 0 for e in self._runs[qid])
        ]
        if len(keep) < len(self._query_ids):
            warnings.warn(
                f"RunDataset: {len(self._query_ids) - len(keep)} of {len(self._query_ids)} queries of {self._source} "
                "have no relevant document in their ranking and are left out (sampling_strategy='single_relevant')",
                stacklevel=3,
            )
        self._query_ids = keep

    def __len__(self) -> int:
        return len(self._query_ids)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_store": None}

    def __getitem__(self, index: int) -> RankSample:
        query_id = self._query_ids[index]
        run = self._runs[query_id]
        qrels = self._qrels.get(query_id, [])
        relevance = _relevance(qrels)
        relevant = [relevance.get(entry.doc_id, 0) > 0 for entry in run]
        positions = sample_positions(len(run), self.sample_size, self.sampling_strategy, relevant)
        chosen = [run[position] for position in positions]
        return RankSample(
            query_id=query_id,
            query=self._queries[query_id],
            doc_ids=[entry.doc_id for entry in chosen],
            docs=self._doc_texts(chosen),
            targets=self._targets(chosen, positions, len(run), qrels) if self.targets is not None else None,
            qrels=qrels if self._has_qrels else None,
        )

    def _doc_texts(self, entries: list[RunEntry]) -> list[str]:
        needed = [entry.doc_id for entry in entries if entry.doc is None]
        found: dict[str, Any] = {}
        if needed:
            if self._store is None:
                assert self._ref is not None
                self._store = self._ref.load().docs_store()
            found = self._store.get_many(needed)
        texts = []
        for entry in entries:
            if entry.doc is not None:
                texts.append(entry.doc)
            elif entry.doc_id in found:
                texts.append(doc_text(found[entry.doc_id]))
            else:
                collection = self._ref.dataset_id if self._ref else ""
                raise ValueError(
                    f"RunDataset: {self._where(entry.line)} names document '{entry.doc_id}', which is not in the "
                    f"collection '{collection}'"
                )
        return texts

    def _targets(self, chosen: list[RunEntry], positions: list[int], num_docs: int, qrels: list[dict]) -> torch.Tensor:
        if self.targets == "relevance":
            relevance = _relevance(qrels)
            values = [float(relevance.get(entry.doc_id, 0)) for entry in chosen]
        elif self.targets == "subtopic_relevance":
            subtopics: dict[str, set[str]] = {}
            for qrel in qrels:
                if qrel["relevance"] > 0:
                    subtopics.setdefault(qrel["doc_id"], set()).add(qrel["iteration"])
            values = [float(len(subtopics.get(entry.doc_id, ()))) for entry in chosen]
        elif self.targets == "rank":
            values = [float(num_docs - position) for position in positions]
        else:
            values = [entry.score for entry in chosen]
        targets = torch.tensor(values, dtype=torch.float32)
        return _min_max(targets) if self.normalize_targets else targets


def _ref_from_name(path: Path) -> DatasetRef | None:
    """The collection a run file's name points to, if any.

    ``beir__scifact__test.bm25.run`` -> ``beir/scifact/test``; a name with ``-`` for ``/`` (as earlier Lightning IR
    versions wrote them, ``msmarco-passage-trec-dl-2019-judged.run``) -> the registered id it spells.

    Raises:
        ValueError: The name spells several registered ids (then ``dataset_id`` must say which).
    """
    candidate = dataset_id_of_run_file(path)
    if not candidate:
        return None
    try:
        return dataset_ref(candidate)
    except ValueError:
        pass
    matches = [] if "/" in candidate else dashed_dataset_ids(candidate)
    if len(matches) > 1:
        raise ValueError(
            f"RunDataset: the name of the run file {path} fits the dataset ids {matches}; pass dataset_id to say which"
        )
    return dataset_ref(matches[0]) if matches else None


def dashed_dataset_ids(name: str) -> list[str]:
    """The registered ir_datasets ids that read ``name`` when each ``/`` is written as ``-``.

    The training sets Lightning IR registers (see :mod:`lightning_ir.data.registered_datasets`) are included.
    """
    import ir_datasets

    from .registered_datasets import register_training_datasets

    register_training_datasets()
    return sorted(dataset_id for dataset_id in ir_datasets.registry if dataset_id.replace("/", "-") == name)


def _relevance(qrels: list[dict]) -> dict[str, int]:
    relevance: dict[str, int] = {}
    for qrel in qrels:
        relevance[qrel["doc_id"]] = max(relevance.get(qrel["doc_id"], qrel["relevance"]), qrel["relevance"])
    return relevance


def _min_max(targets: torch.Tensor) -> torch.Tensor:
    if targets.numel() == 0:
        return targets
    low, high = targets.min(), targets.max()
    if high == low:
        return (targets > 0).float()
    return (targets - low) / (high - low)
