"""Helper script for tests/test_trainer_inference.py: indexes and searches the small collection under DDP.

DDP runs 2 CPU processes with gloo.

Usage: ``python tests/ddp_index.py <backbone dir> <collection dir> <output dir> [unseeded]`` (``unseeded``: each
process re-initialises the fresh projection with its own seed). Lightning's DDP launcher runs
this script again for rank 1. Writes ``<output dir>/index`` (the index), ``<output dir>/runs/collection.run`` and
``rank<r>.json`` with what each process encoded and the metrics it got back.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch

from lightning_ir import BiEncoderModule
from lightning_ir.callbacks import IndexCallback, SearchCallback
from lightning_ir.data import DocDataset, LightningIRDataModule, QueryDataset
from lightning_ir.retrieve import TorchDenseIndexConfig, TorchDenseSearchConfig
from lightning_ir.trainer import LightningIRTrainer


def main(backbone: str, collection: str, output_dir: str) -> None:
    output = Path(output_dir)
    module = BiEncoderModule(backbone, evaluation_metrics=["nDCG@10"])
    if len(sys.argv) > 4:  # each process initialises the fresh projection differently (no common seed)
        torch.manual_seed(1000 + int(os.environ.get("LOCAL_RANK", "0")))
        module.model.projection.reset_parameters()
    index = IndexCallback(output / "index", TorchDenseIndexConfig())
    search = SearchCallback(output / "index", TorchDenseSearchConfig(k=4), save_dir=output / "runs")
    trainer = LightningIRTrainer(
        accelerator="cpu",
        strategy="ddp",
        devices=2,
        precision="32-true",  # compared with float32 embeddings, also on CPUs where bf16 would be picked
        logger=False,
        default_root_dir=str(output),
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[index, search],
    )
    docs = LightningIRDataModule(inference_datasets=[DocDataset(collection)], inference_batch_size=3)
    trainer.index(module, datamodule=docs, verbose=False)
    queries = LightningIRDataModule(inference_datasets=[QueryDataset(collection)], inference_batch_size=3)
    metrics = trainer.search(module, datamodule=queries, verbose=False)
    record = {
        "world_size": trainer.world_size,
        "encoded": index.num_docs_per_dataloader.get(0, 0),
        "num_docs": index.num_docs,
        "metrics": metrics,
        "projection_sum": float(module.model.projection.weight.double().sum()),
    }
    (output / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main(*sys.argv[1:4])
