"""Fixtures for the data tests: a small local collection written by the tests, and an offline SciFact home.

ir_datasets fixes its home folder (``IR_DATASETS_HOME``) when it is first imported, so this module points it at the
git-ignored ``<repo>/.cache/ir_datasets`` before anything imports ir_datasets (unless the variable is already set).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_IR_DATASETS = REPO_ROOT.parent / "shared" / "ir_datasets"

if "IR_DATASETS_HOME" not in os.environ and "ir_datasets" not in sys.modules:
    os.environ["IR_DATASETS_HOME"] = str(REPO_ROOT / ".cache" / "ir_datasets")
#: Whether ir_datasets in this process will use IR_DATASETS_HOME (else SciFact checks run in a subprocess).
IR_DATASETS_HOME_IN_EFFECT = "ir_datasets" not in sys.modules

DOCS_TSV = "d1\tCats\tCats are small felines.\nd2\tDogs\tDogs are loyal.\nd3\t\tFish swim.\n" + (
    "d4\tBirds\tBirds fly.\nd5\tCars\tCars drive.\nd6\tTrees\tTrees grow.\n"
)
QUERIES_TSV = "q1\twhat are cats\nq2\twhich animals fly\n\nq3\twhat grows\n"
# q2 has two subtopics (TREC iteration column): d4 is relevant to both, d1 to one.
QRELS_TREC = "q1 0 d1 2\nq1 0 d2 0\nq2 1 d4 1\nq2 2 d4 1\nq2 2 d1 1\nq3 0 d6 1\n"
DOCPAIRS_TSV = "q1\td1\td2\nq2\td4\td5\nq3\td6\td5\n"
SCORED_TUPLES_JSONL = (
    json.dumps({"query_id": "q1", "doc_ids": ["d1", "d2", "d3"], "scores": [3.0, 1.0, 0.5]})
    + "\n"
    + json.dumps({"query_id": "q2", "doc_ids": ["d4", "d5", "d1"], "scores": [2.0, -1.0, 0.0]})
    + "\n"
)
# Lines deliberately out of rank order for q1 (rank 3 before rank 2).
TREC_RUN = (
    "q1 Q0 d2 1 9.0 bm25\nq1 Q0 d1 3 7.5 bm25\nq1 Q0 d3 2 8.0 bm25\nq1 Q0 d5 4 6.0 bm25\n"
    "q2 Q0 d4 1 5.0 bm25\nq2 Q0 d5 2 4.0 bm25\nq2 Q0 d1 3 3.0 bm25\n"
    "q3 Q0 d5 1 2.0 bm25\nq3 Q0 d2 2 1.0 bm25\n"
)
JSONL_RUN = "".join(
    json.dumps(line) + "\n"
    for line in [
        {"query_id": "q1", "doc_id": "d1", "score": 3.0, "query": "cats?", "doc": "about cats"},
        {"query_id": "q1", "doc_id": "d2", "score": 5.0, "query": "cats?", "doc": "about dogs"},
        {"query_id": "q9", "doc_id": "x7", "score": 1.0, "query": "unknown?", "doc": "text only in the run"},
    ]
)


@dataclass
class Corpus:
    """The files of the test collection and the ids they are registered under."""

    folder: Path
    dataset_id: str
    scored_id: str
    docs: Path
    queries: Path
    qrels: Path
    docpairs: Path
    scored_tuples: Path
    trec_run: Path
    jsonl_run: Path


def write(path: Path, text: str) -> Path:
    """Writes ``text`` to ``path`` (creating folders) and returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """A 6-document collection with 3 queries, TREC qrels (with subtopics), docpairs, a TREC and a JSONL run.

    It is registered as ``<id>`` (everything) and ``<id>/scored`` (scored tuples; the rest inherited from ``<id>``).
    """
    from lightning_ir.data.ir_datasets_utils import register_local

    folder = tmp_path_factory.mktemp("corpus")
    corpus = Corpus(
        folder=folder,
        dataset_id=f"lir-test-{uuid.uuid4().hex[:8]}",
        scored_id="",
        docs=write(folder / "docs.tsv", DOCS_TSV),
        queries=write(folder / "queries.tsv", QUERIES_TSV),
        qrels=write(folder / "qrels.txt", QRELS_TREC),
        docpairs=write(folder / "docpairs.tsv", DOCPAIRS_TSV),
        scored_tuples=write(folder / "scored" / "docpairs.jsonl", SCORED_TUPLES_JSONL),
        trec_run=write(folder / "bm25.run", TREC_RUN),
        jsonl_run=write(folder / "texts.jsonl", JSONL_RUN),
    )
    register_local(
        corpus.dataset_id,
        docs=corpus.docs,
        queries=corpus.queries,
        qrels=corpus.qrels,
        docpairs=corpus.docpairs,
        scoreddocs=corpus.trec_run,
    )
    corpus.scored_id = register_local(f"{corpus.dataset_id}/scored", docpairs=corpus.scored_tuples)
    return corpus


def unique_id(prefix: str = "lir-bad") -> str:
    """A fresh dataset id."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def scifact_home() -> Path:
    """``IR_DATASETS_HOME`` with the offline SciFact archive copied in (skips without ``../shared``)."""
    source = SHARED_IR_DATASETS / "beir" / "scifact" / "source.zip"
    if not source.is_file():
        pytest.skip(f"offline SciFact archive not found at {source}")
    home = Path(os.environ.get("IR_DATASETS_HOME", REPO_ROOT / ".cache" / "ir_datasets"))
    target = home / "beir" / "scifact" / "source.zip"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return home
