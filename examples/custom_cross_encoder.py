# mypy: disable-error-code="override,return-value,attr-defined"
"""The custom cross-encoder of the guide "Build A Custom Model" (docs: howto-custom-model.rst), runnable as is.

It adds a linear layer on top of the pooled embeddings, registers the model with the Hugging Face Auto
classes and fine-tunes it. Compared with the guide, the backbone and the training tuples are small and local:

    python examples/custom_cross_encoder.py [BACKBONE]

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

from lightning_ir import CrossEncoderConfig  # noqa: E402


class CustomCrossEncoderConfig(CrossEncoderConfig):
    """A cross-encoder config with one more hyperparameter: whether to add a linear layer."""

    model_type = "custom-cross-encoder"

    ADDED_ARGS = CrossEncoderConfig.ADDED_ARGS.union({"additional_linear_layer"})

    def __init__(self, additional_linear_layer=True, **kwargs):
        super().__init__(**kwargs)
        self.additional_linear_layer = additional_linear_layer


import torch  # noqa: E402
from transformers import BatchEncoding  # noqa: E402

from lightning_ir import CrossEncoderModel, CrossEncoderOutput  # noqa: E402


class CustomCrossEncoderModel(CrossEncoderModel):
    """A cross-encoder that passes the pooled embedding through an additional linear layer before scoring."""

    config_class = CustomCrossEncoderConfig

    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        self.additional_linear_layer = None
        if config.additional_linear_layer:
            self.additional_linear_layer = torch.nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, encoding: BatchEncoding) -> torch.Tensor:
        """Score each query-document pair of ``encoding``."""
        embeddings = self._backbone_forward(**encoding).last_hidden_state
        embeddings = self._pooling(
            embeddings,
            encoding.get("attention_mask", None),
            pooling_strategy=self.config.pooling_strategy,
        )
        if self.additional_linear_layer is not None:
            embeddings = self.additional_linear_layer(embeddings)
        scores = self.linear(embeddings).view(-1)
        return CrossEncoderOutput(scores=scores, embeddings=embeddings)


from transformers import AutoConfig, AutoModel, AutoTokenizer  # noqa: E402

from lightning_ir import CrossEncoderTokenizer  # noqa: E402

AutoConfig.register(CustomCrossEncoderConfig.model_type, CustomCrossEncoderConfig)
AutoModel.register(CustomCrossEncoderConfig, CustomCrossEncoderModel)
AutoTokenizer.register(CustomCrossEncoderConfig, CrossEncoderTokenizer)


if __name__ == "__main__":
    register_local(
        "examples/tiny-collection/train",
        docs=DATA_DIR / "docs.tsv",
        queries=DATA_DIR / "queries.tsv",
        docpairs=DATA_DIR / "docpairs.tsv",
    )

    from torch.optim import AdamW

    from lightning_ir import (
        CrossEncoderModule,
        LightningIRDataModule,
        LightningIRTrainer,
        RankNet,
        TupleDataset,
    )

    module = CrossEncoderModule(
        model_name_or_path=BACKBONE,
        config=CustomCrossEncoderConfig(),  # our custom config
        loss_functions=[RankNet()],
    )
    module.set_optimizer(AdamW, lr=1e-5)
    data_module = LightningIRDataModule(
        train_dataset=TupleDataset("examples/tiny-collection/train"),
        train_batch_size=32,
    )
    trainer = LightningIRTrainer(max_steps=MAX_STEPS)
    trainer.fit(module, data_module)
