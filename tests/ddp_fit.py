"""Helper script for tests/test_ddp.py: trains a tiny bi-encoder with an in-batch loss under DDP on 2 CPU processes.

Usage: ``python tests/ddp_fit.py <backbone dir> <collection dir> <output dir>``. Lightning's DDP launcher runs this
script again for rank 1. Each rank writes ``rank<r>.pt`` with the in-batch scores and embeddings of its first step
and its final weights.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from lightning import seed_everything

from lightning_ir import BiEncoderModule
from lightning_ir.data import LightningIRDataModule, TupleDataset
from lightning_ir.loss import InBatchCrossEntropy
from lightning_ir.trainer import LightningIRTrainer


class RecordingInBatchCrossEntropy(InBatchCrossEntropy):
    """Keeps what the loss saw at its first call."""

    def __init__(self) -> None:
        super().__init__(pos_sampling_technique="first", neg_sampling_technique="all")
        self.first_call: dict[str, Any] | None = None

    def compute_loss(self, output: Any, batch: Any) -> torch.Tensor:
        if self.first_call is None:
            self.first_call = {
                "scores": output.scores.detach().clone(),
                "query_embeddings": output.query_embeddings.embeddings.detach().clone(),
                "doc_embeddings": output.doc_embeddings.embeddings.detach().clone(),
                "num_local_docs": sum(len(docs) for docs in batch.docs),
                "query_ids": list(batch.query_ids),
            }
        return super().compute_loss(output, batch)


def main(backbone: str, collection: str, output_dir: str) -> None:
    seed_everything(0)
    loss = RecordingInBatchCrossEntropy()
    module = BiEncoderModule(backbone, loss_functions=[loss])
    module.set_optimizer(torch.optim.AdamW, lr=1e-3)
    data = LightningIRDataModule(train_dataset=TupleDataset(collection), train_batch_size=2)
    trainer = LightningIRTrainer(
        accelerator="cpu",
        strategy="ddp",
        devices=2,
        max_steps=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, data)
    record = dict(loss.first_call or {})
    record["world_size"] = trainer.world_size
    record["final_weights"] = {name: tensor.detach().clone() for name, tensor in module.state_dict().items()}
    torch.save(record, Path(output_dir) / f"rank{trainer.global_rank}.pt")


if __name__ == "__main__":
    main(*sys.argv[1:4])
