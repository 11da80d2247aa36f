"""``lightning-ir bm25_search``: search a BM25 index for the queries of a dataset and write a TREC run.

::

    lightning-ir bm25_search --index_dir indexes/beir-scifact/bm25 --query_dataset beir/scifact/test --save_dir runs
    lightning-ir bm25_search --config configs/bm25-search-scifact.yaml

The run is ``<save_dir>/<run_name>``, by default named after the queries' dataset (``beir__scifact__test.run``), so
that ``RunDataset`` (and ``lightning-ir re_rank``) find its queries, documents and qrels by the file name. When the
dataset has qrels, the run's ``evaluation_metrics`` are printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.judgements import add_judgement
from ..experiment.measures import parse_measures
from ..retrieve.bm25 import BM25SearchConfig, BM25Searcher

if TYPE_CHECKING:
    from ..data.query_dataset import QueryDataset


def bm25_search(
    index_dir: str,
    query_dataset: str,
    save_dir: str,
    run_name: str | None = None,
    search_config: BM25SearchConfig | None = None,
    num_queries: int | None = None,
    evaluation_metrics: Sequence[str] = ("nDCG@10", "R@100"),
) -> tuple[Path, dict[str, float]]:
    """Searches ``index_dir`` for every query of ``query_dataset`` and writes the run.

    Args:
        index_dir: A BM25 index (``lightning-ir bm25_index``).
        query_dataset: An ir_datasets id (``beir/scifact/test``), a registered local collection or a folder.
        save_dir: Folder of the run file.
        run_name: File name of the run (``.run`` appended unless it has a TREC run suffix); default: the dataset's
            name with ``/`` written as ``__``.
        search_config: ``k`` (default 100) and the scoring backend.
        num_queries: Search only the first ``num_queries`` queries.
        evaluation_metrics: ir_measures names computed when the dataset has qrels (none: an empty list).

    Returns:
        The run file and the metrics (empty without qrels).
    """
    from ..data.query_dataset import QueryDataset
    from ..data.run_names import check_run_name, named_run_file, run_file_name

    name = check_run_name("bm25_search", run_name)
    path = Path(save_dir) / (run_file_name(query_dataset) if name is None else named_run_file(name))
    measures = parse_measures("bm25_search", evaluation_metrics) if evaluation_metrics else {}
    dataset = QueryDataset(query_dataset, num_queries=num_queries)
    BM25Searcher(index_dir, search_config).write_run(dataset, path)
    return path, evaluate_run(path, dataset, measures)


def evaluate_run(path: Path, dataset: QueryDataset, measures: dict[str, Any]) -> dict[str, float]:
    """The ir_measures ``measures`` (by name) of the run at ``path`` against the dataset's qrels (empty without).

    Every judged query counts, one the run has no document for with 0 (as ``lightning-ir evaluate`` counts it).
    """
    from ..data.run_file import read_run
    from ..experiment.measures import per_query_values

    qrels: dict[str, dict[str, int]] = {}
    for sample in dataset.iter_all():
        for qrel in sample.qrels or []:
            add_judgement(qrels, sample.query_id, qrel["doc_id"], qrel["relevance"])
    judged = [query_id for query_id, judgements in qrels.items() if judgements]
    if not measures or not judged:
        return {}
    run: dict[str, dict[str, float]] = {}
    for entry in read_run(path):
        run.setdefault(entry.query_id, {})[entry.doc_id] = entry.score
    values = per_query_values(measures, qrels, run, judged)
    return {metric: sum(per_query.values()) / len(judged) for metric, per_query in values.items()}


def main(args: list[str]) -> None:
    """Runs ``lightning-ir bm25_search`` with the arguments that follow the subcommand."""
    from jsonargparse import CLI

    path, metrics = CLI(bm25_search, args=args, as_positional=False, prog="lightning-ir bm25_search")
    print(f"run written to {path}")
    for metric, value in metrics.items():
        print(f"{metric:>12} {value:.4f}")
