"""Optimisers of modules: fused kernels by default where PyTorch has them, only trainable parameters."""

from __future__ import annotations

from pathlib import Path

import torch

from lightning_ir import BiEncoderModule, LoraAdapterConfig
from lightning_ir.base.optimizers import with_fused_default


def test_adamw_gets_the_fused_kernels_unless_the_caller_chose() -> None:
    parameters = [torch.nn.Parameter(torch.zeros(3))]
    assert with_fused_default(torch.optim.AdamW, parameters, {"lr": 1e-3}) == {"lr": 1e-3, "fused": True}
    assert with_fused_default(torch.optim.AdamW, parameters, {"foreach": True}) == {"foreach": True}
    assert with_fused_default(torch.optim.AdamW, parameters, {"fused": False}) == {"fused": False}
    assert with_fused_default(torch.optim.RMSprop, parameters, {}) == {}  # no fused implementation
    integer = [torch.nn.Parameter(torch.zeros(3, dtype=torch.int64), requires_grad=False)]
    assert with_fused_default(torch.optim.AdamW, integer, {}) == {}


def test_fused_and_plain_adamw_take_the_same_step() -> None:
    torch.manual_seed(0)
    start, grad = torch.randn(10, 4), torch.randn(10, 4)
    results = []
    for kwargs in ({"fused": True}, {"fused": False, "foreach": False}):
        parameter = torch.nn.Parameter(start.clone())
        parameter.grad = grad.clone()
        torch.optim.AdamW([parameter], lr=0.1, weight_decay=0.01, **kwargs).step()
        results.append(parameter.detach())
    torch.testing.assert_close(results[0], results[1])


def test_a_module_optimiser_holds_the_trainable_parameters_only(tiny_bert_dir: Path) -> None:
    module = BiEncoderModule(str(tiny_bert_dir), adapter_config=LoraAdapterConfig(r=2, lora_alpha=4))
    module.set_optimizer(torch.optim.AdamW, lr=1e-3)
    optimizer = module.configure_optimizers()
    (group,) = optimizer.param_groups
    trainable = [p for p in module.parameters() if p.requires_grad]
    assert len(group["params"]) == len(trainable) < len(list(module.parameters()))
    assert group["fused"] is True
