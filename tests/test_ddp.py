"""Training under DDP (2 CPU processes, gloo): in-batch negatives are gathered from the other process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from tests.fixtures import write_collection

SCRIPT = Path(__file__).with_name("ddp_fit.py")
REPO_ROOT = Path(__file__).resolve().parents[1]


def test_ddp_gathers_in_batch_negatives_across_processes(tiny_bert_dir: Path, tmp_path: Path) -> None:
    collection = write_collection(tmp_path / "collection")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, str(SCRIPT), str(tiny_bert_dir), str(collection), str(tmp_path)]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]

    ranks = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=False) for rank in (0, 1)]
    assert [record["world_size"] for record in ranks] == [2, 2]
    for record in ranks:
        local = record["num_local_docs"]
        assert local == 2 * 3  # 2 queries x 3 documents per tuple
        # every local query is scored against world_size x local documents
        assert record["scores"].shape == (2, 2 * local)
        assert record["doc_embeddings"].shape[0] == 2 * local
    # the processes trained on different tuples
    assert set(ranks[0]["query_ids"]).isdisjoint(ranks[1]["query_ids"])
    # each process's own documents come first, then the other process's documents
    local = ranks[0]["num_local_docs"]
    torch.testing.assert_close(ranks[0]["doc_embeddings"][local:], ranks[1]["doc_embeddings"][:local])
    torch.testing.assert_close(ranks[1]["doc_embeddings"][local:], ranks[0]["doc_embeddings"][:local])
    # and the scores of the gathered columns are the local queries against the other process's documents
    other_scores = ranks[0]["query_embeddings"][:, 0] @ ranks[1]["doc_embeddings"][:local, 0].T
    torch.testing.assert_close(ranks[0]["scores"][:, local:], other_scores)
    # DDP kept the replicas identical
    for name, tensor in ranks[0]["final_weights"].items():
        assert torch.equal(tensor, ranks[1]["final_weights"][name]), name
