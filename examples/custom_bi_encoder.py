# mypy: disable-error-code="attr-defined"
"""The custom bi-encoder of the guide "Build A Custom Model" (docs: howto-custom-model.rst), runnable as is.

It adds a linear layer on top of the backbone's token embeddings, registers the model with the Hugging Face Auto
classes and fine-tunes it. Compared with the guide, the backbone and the training tuples are small and local:

    python examples/custom_bi_encoder.py [BACKBONE]

``BACKBONE`` (or the ``LIGHTNING_IR_BACKBONE`` variable) is a Hugging Face model name or folder, by default
``sentence-transformers/all-MiniLM-L6-v2``; ``LIGHTNING_IR_MAX_STEPS`` sets the number of training steps (default 10).
The tuples come from ``examples/data/tiny-collection``, registered as ``examples/tiny-collection/train``. The
trainer writes its checkpoints, with the model in Hugging Face format, under ``lightning_logs/``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lightning_ir.data.ir_datasets_utils import register_local

DEFAULT_BACKBONE = "sentence-transformers/all-MiniLM-L6-v2"
BACKBONE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("LIGHTNING_IR_BACKBONE", DEFAULT_BACKBONE)
MAX_STEPS = int(os.environ.get("LIGHTNING_IR_MAX_STEPS", "10"))
DATA_DIR = Path(__file__).resolve().parent / "data" / "tiny-collection"

# --- the guide's code -------------------------------------------------------------------------------------------

from lightning_ir.bi_encoder.config import BiEncoderConfig  # noqa: E402


class CustomBiEncoderConfig(BiEncoderConfig):
    """A bi-encoder config with one more hyperparameter: whether to add a linear layer."""

    model_type = "custom-bi-encoder"

    ADDED_ARGS = BiEncoderConfig.ADDED_ARGS.union({"additional_linear_layer"})

    def __init__(self, additional_linear_layer=True, **kwargs):
        super().__init__(**kwargs)
        self.additional_linear_layer = additional_linear_layer


from typing import Literal  # noqa: E402

import torch  # noqa: E402
from transformers import BatchEncoding  # noqa: E402

from lightning_ir import BiEncoderEmbedding, BiEncoderModel, BiEncoderOutput  # noqa: E402, F401


class CustomBiEncoderModel(BiEncoderModel):
    """A bi-encoder that passes the backbone's embeddings through an additional linear layer."""

    config_class = CustomBiEncoderConfig

    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        self.additional_linear_layer = None
        if config.additional_linear_layer:
            self.additional_linear_layer = torch.nn.Linear(config.hidden_size, config.hidden_size)

    def _encode(
        self,
        encoding: BatchEncoding,
        expansion: bool = False,
        pooling_strategy: Literal["first", "mean", "max", "sum"] | None = None,
        mask_scoring_input_ids: torch.Tensor | None = None,
    ) -> BiEncoderEmbedding:
        embeddings = self._backbone_forward(**encoding).last_hidden_state
        if self.additional_linear_layer is not None:  # apply additional linear layer
            embeddings = self.additional_linear_layer(embeddings)
        if self.projection is not None:
            embeddings = self.projection(embeddings)
        embeddings = self._sparsification(embeddings, self.config.sparsification)
        embeddings = self._pooling(embeddings, encoding["attention_mask"], pooling_strategy)
        if self.config.normalize:
            embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
        scoring_mask = self._scoring_mask(
            encoding["input_ids"],
            encoding["attention_mask"],
            expansion,
            pooling_strategy,
            mask_scoring_input_ids,
        )
        return BiEncoderEmbedding(embeddings, scoring_mask)


from transformers import AutoConfig, AutoModel, AutoTokenizer  # noqa: E402

from lightning_ir import BiEncoderTokenizer  # noqa: E402

AutoConfig.register(CustomBiEncoderConfig.model_type, CustomBiEncoderConfig)
AutoModel.register(CustomBiEncoderConfig, CustomBiEncoderModel)
AutoTokenizer.register(CustomBiEncoderConfig, BiEncoderTokenizer)


if __name__ == "__main__":
    register_local(
        "examples/tiny-collection/train",
        docs=DATA_DIR / "docs.tsv",
        queries=DATA_DIR / "queries.tsv",
        docpairs=DATA_DIR / "docpairs.tsv",
    )

    from torch.optim import AdamW

    from lightning_ir import (
        BiEncoderModule,
        LightningIRDataModule,
        LightningIRTrainer,
        RankNet,
        TupleDataset,
    )

    module = BiEncoderModule(
        model_name_or_path=BACKBONE,
        config=CustomBiEncoderConfig(),  # our custom config
        loss_functions=[RankNet()],
    )
    module.set_optimizer(AdamW, lr=1e-5)
    data_module = LightningIRDataModule(
        train_dataset=TupleDataset("examples/tiny-collection/train"),
        train_batch_size=32,
    )
    trainer = LightningIRTrainer(max_steps=MAX_STEPS)
    trainer.fit(module, data_module)
