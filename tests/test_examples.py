"""The guide's examples (examples/custom_*.py) fine-tune, and the custom models round-trip through the Auto classes."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch
from transformers import AutoConfig, AutoModel

import lightning_ir
from lightning_ir import BiEncoderModule, CrossEncoderModule

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples"
GUIDE_NAMES = [
    "LightningIRDataModule",
    "TupleDataset",
    "RankNet",
    "LightningIRTrainer",
    "BiEncoderModel",
    "BiEncoderOutput",
    "CrossEncoderModel",
    "CrossEncoderOutput",
    "BiEncoderTokenizer",
    "CrossEncoderTokenizer",
    "CrossEncoderConfig",
    "BiEncoderModule",
    "CrossEncoderModule",
]
QUERIES = ["which fruit grows on orchard trees", "large body of salt water"]
DOCS = [["apples grow on trees", "a guitar has strings"], ["the ocean is salty", "coffee is hot"]]


def _import_example(name: str) -> ModuleType:
    """Import an example once per session (its import registers the custom classes with the Auto classes)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _run_example(name: str, backbone: Path, cwd: Path) -> Path:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error", "LIGHTNING_IR_MAX_STEPS": "3"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    script = str(EXAMPLES / f"{name}.py")
    command = [sys.executable, script, str(backbone)]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "`max_steps=3` reached" in result.stderr
    hf_dirs = list(cwd.glob("lightning_logs/version_*/huggingface_checkpoint"))
    assert len(hf_dirs) == 1
    return hf_dirs[0]


def test_guide_names_are_exported() -> None:
    assert [name for name in GUIDE_NAMES if not hasattr(lightning_ir, name)] == []


@pytest.mark.parametrize(
    ("example", "module_class", "model_class_name"),
    [
        ("custom_bi_encoder", BiEncoderModule, "CustomBiEncoderModel"),
        ("custom_cross_encoder", CrossEncoderModule, "CustomCrossEncoderModel"),
    ],
)
def test_example_fine_tunes_and_its_model_loads_through_auto_classes(
    example: str, module_class: type, model_class_name: str, tiny_bert_dir: Path, tmp_path: Path
) -> None:
    hf_dir = _run_example(example, tiny_bert_dir, tmp_path)
    classes = _import_example(example)
    config = AutoConfig.from_pretrained(hf_dir)
    assert type(config).__name__ == model_class_name.replace("Model", "Config")
    assert config.additional_linear_layer is True
    model = AutoModel.from_pretrained(hf_dir)
    assert type(model) is getattr(classes, model_class_name)
    assert model.additional_linear_layer is not None

    # a module built on the custom model, saved and loaded back through AutoModel, scores identically
    config_class = getattr(classes, model_class_name.replace("Model", "Config"))
    torch.manual_seed(0)
    module = module_class(str(tiny_bert_dir), config=config_class()).eval()
    module.save_pretrained(tmp_path / "saved")
    reloaded = AutoModel.from_pretrained(tmp_path / "saved")
    assert type(reloaded) is type(module.model)
    reloaded_module = module_class(model=reloaded, model_name_or_path=str(tmp_path / "saved")).eval()
    expected = module.score(QUERIES, DOCS).scores
    torch.testing.assert_close(reloaded_module.score(QUERIES, DOCS).scores, expected, rtol=0, atol=0)
    linear = module.model.additional_linear_layer
    torch.testing.assert_close(reloaded.additional_linear_layer.weight, linear.weight)
