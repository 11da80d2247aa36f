"""SciFact offline: Doc, Query, Run and Tuple datasets over BEIR's SciFact.

DocDataset("beir/scifact"), QueryDataset("beir/scifact/test"), and Run/Tuple datasets over ``beir/scifact/train``.

BEIR's scifact/train has qrels but no docpairs or scoreddocs, so the test writes a small run and tuples over the
first five training queries (the relevant document of each query plus three non-relevant ones) and registers them
as ``beir/scifact/train/<id>``, which takes its documents, queries and qrels from ``beir/scifact/train``.

ir_datasets reads ``IR_DATASETS_HOME`` when first imported; when something imported it before the data tests'
conftest could set the variable, the checks run in a fresh interpreter instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

TITLE_4983 = "Microstructural development of human newborn cerebral white matter assessed in vivo by diffusion"


def scifact_checks(workdir: Path) -> dict[str, Any]:
    """Runs the SciFact checks and returns the figures to assert."""
    import ir_datasets

    from lightning_ir.data import DocDataset, QueryDataset, RunDataset, TupleDataset, write_run
    from lightning_ir.data.ir_datasets_utils import register_local

    docs = list(DocDataset("beir/scifact"))
    test_queries = list(QueryDataset("beir/scifact/test"))
    train_queries = [q for q in QueryDataset("beir/scifact/train", num_queries=5)]
    negatives = [d.doc_id for d in docs[:10]]
    run_doc_ids, tuples = [], []
    for query in train_queries:
        positive = (query.qrels or [])[0]["doc_id"]
        others = [d for d in negatives if d not in {q["doc_id"] for q in query.qrels or []}][:3]
        run_doc_ids.append([others[0], positive, *others[1:]])
        tuples.append("\t".join([query.query_id, positive, *others[:2]]) + "\n")
    run_path = write_run(workdir / "run.run", [q.query_id for q in train_queries], run_doc_ids, [[4, 3, 2, 1]] * 5)
    (workdir / "tuples.tsv").write_text("".join(tuples))
    local_id = f"beir/scifact/train/lir-{uuid.uuid4().hex[:6]}"
    register_local(local_id, scoreddocs=run_path, docpairs=workdir / "tuples.tsv")
    run = RunDataset(local_id, targets="relevance")
    run_samples = [run[i] for i in range(len(run))]
    tuple_samples = list(TupleDataset(local_id))
    return {
        "num_docs": len(docs),
        "first_doc": [docs[0].doc_id, docs[0].doc[: len(TITLE_4983)]],
        "text_only": next(iter(DocDataset("beir/scifact", num_docs=1, text_fields=["text"]))).doc[:30],
        "num_test_queries": len(test_queries),
        "num_test_qrels": sum(len(q.qrels or []) for q in test_queries),
        "num_train_qrels": sum(1 for _ in ir_datasets.load("beir/scifact/train").qrels_iter()),
        "run_len": len(run),
        "run_targets": [s.targets.tolist() for s in run_samples if s.targets is not None],
        "run_query_matches": all(s.query == q.query for s, q in zip(run_samples, train_queries, strict=True)),
        "run_doc_text_ok": run_samples[0].docs[0] == docs[0].doc,
        "tuple_targets": [s.targets.tolist() for s in tuple_samples if s.targets is not None],
        "tuple_positive_is_relevant": all(s.doc_ids[0] in {q["doc_id"] for q in s.qrels or []} for s in tuple_samples),
    }


def test_scifact(scifact_home: Path, tmp_path: Path) -> None:
    from .conftest import IR_DATASETS_HOME_IN_EFFECT

    if IR_DATASETS_HOME_IN_EFFECT:
        result = scifact_checks(tmp_path)
    else:
        env = {**os.environ, "IR_DATASETS_HOME": str(scifact_home)}
        out = subprocess.run(
            [sys.executable, __file__, str(tmp_path)], env=env, capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["num_docs"] == 5183
    assert result["first_doc"] == ["4983", TITLE_4983]  # "title text"
    assert result["text_only"] == "Alterations of the architectur"
    assert (result["num_test_queries"], result["num_test_qrels"], result["num_train_qrels"]) == (300, 339, 919)
    assert result["run_len"] == 5
    assert result["run_targets"] == [[0.0, 1.0, 0.0, 0.0]] * 5
    assert result["run_query_matches"]
    assert result["run_doc_text_ok"]
    assert result["tuple_targets"] == [[1.0, 0.0, 0.0]] * 5
    assert result["tuple_positive_is_relevant"]


if __name__ == "__main__":
    if not os.environ.get("IR_DATASETS_HOME"):
        pytest.exit("set IR_DATASETS_HOME")
    print(json.dumps(scifact_checks(Path(sys.argv[1]))))
