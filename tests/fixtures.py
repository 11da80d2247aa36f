"""Test helpers for fine-tuning tests: a small local collection (documents, queries, qrels, tuples and a run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOPICS = [
    ("apple", "apples are red fruit that grow on trees in orchards"),
    ("ocean", "the ocean is a vast body of salt water with waves"),
    ("guitar", "a guitar is a string instrument played with fingers"),
    ("python", "python is a programming language with simple syntax"),
    ("mountain", "mountains are high rocky peaks covered with snow"),
    ("coffee", "coffee is a hot drink brewed from roasted beans"),
    ("soccer", "soccer is a team sport played with a round ball"),
    ("rocket", "a rocket launches spacecraft into orbit with engines"),
]
QUERIES = {
    "apple": "which fruit grows on orchard trees",
    "ocean": "large body of salt water",
    "guitar": "string instrument played with fingers",
    "python": "programming language simple syntax",
    "mountain": "high snowy rocky peaks",
    "coffee": "hot drink from roasted beans",
    "soccer": "team sport with a round ball",
    "rocket": "launch spacecraft into orbit",
}


def write_collection(directory: Path) -> Path:
    """Write a collection folder usable as a dataset id: 8 queries, 16 documents, qrels, tuples and a run.

    Each query ``q-<topic>`` has one relevant document ``d-<topic>`` and one unrelated document ``d-<topic>-x``.
    ``docpairs.tsv`` holds (query, relevant, two non-relevant) tuples; ``run.run`` ranks 4 documents per query with
    the relevant one second.
    """
    directory.mkdir(parents=True, exist_ok=True)
    topics = [topic for topic, _ in TOPICS]
    docs = [f"d-{topic}\t{text}" for topic, text in TOPICS]
    docs += [f"d-{topic}-x\tnotes about {topics[(i + 3) % 8]} and other things" for i, topic in enumerate(topics)]
    (directory / "docs.tsv").write_text("\n".join(docs) + "\n")
    (directory / "queries.tsv").write_text("".join(f"q-{topic}\t{QUERIES[topic]}\n" for topic in topics))
    (directory / "qrels.txt").write_text("".join(f"q-{topic} 0 d-{topic} 1\n" for topic in topics))
    tuples = []
    for i, topic in enumerate(topics):
        other = topics[(i + 1) % len(topics)]
        tuples.append(f"q-{topic}\td-{topic}\td-{other}\td-{topic}-x")
    (directory / "docpairs.tsv").write_text("\n".join(tuples) + "\n")
    run = []
    for i, topic in enumerate(topics):
        ranked = [f"d-{topic}-x", f"d-{topic}", f"d-{topics[(i + 1) % len(topics)]}", f"d-{topics[(i + 2) % 8]}"]
        run += [f"q-{topic} Q0 {doc_id} {rank} {10 - rank} bm25" for rank, doc_id in enumerate(ranked, start=1)]
    (directory / "run.run").write_text("\n".join(run) + "\n")
    return directory


def quiet_trainer_kwargs(root: Path, **overrides: Any) -> dict[str, Any]:
    """Trainer arguments for fast, quiet test runs (CPU, no logger, no progress bar, no summary)."""
    kwargs: dict[str, Any] = {
        "accelerator": "cpu",
        "devices": 1,
        "default_root_dir": str(root),
        "logger": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
    }
    kwargs.update(overrides)
    return kwargs
