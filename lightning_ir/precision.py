"""The numeric precision of inference, chosen for the hardware it runs on.

bfloat16 autocast roughly doubles the speed of transformer inference where the hardware computes in bfloat16 (GPUs
since Ampere; CPUs with AVX512-BF16 or AMX) and loses little ranking quality; on CPUs without it (AVX2) bfloat16 is
emulated and slower than float32. Scores and similarities are computed in float32 either way (see
:func:`float32_scoring`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from .options import InferencePrecision

BF16_FEATURES = {"AVX512-BF16": "_is_avx512_bf16_supported", "AMX": "_is_amx_tile_supported"}
"""CPU features that compute in bfloat16, with the ``torch.cpu`` function that detects each."""


def cpu_bf16_features() -> list[str]:
    """The CPU features of :data:`BF16_FEATURES` this CPU has, as PyTorch detects them."""
    return [name for name, check in BF16_FEATURES.items() if bool(getattr(torch.cpu, check, lambda: False)())]


def cpu_has_bf16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512-BF16 or AMX)."""
    return bool(cpu_bf16_features())


def describe_cpu() -> str:
    """The CPU's capability as PyTorch dispatches on it, with its bfloat16 support, e.g. ``"AVX2, no AVX512-BF16/AMX"``.

    ``torch.backends.cpu.get_cpu_capability()`` says ``"AVX2"`` or ``"AVX512"`` (the vector width PyTorch's kernels
    use); bfloat16 support is a separate CPU feature.
    """
    features = cpu_bf16_features()
    bf16 = "+".join(features) if features else "no AVX512-BF16/AMX"
    return f"{torch.backends.cpu.get_cpu_capability()}, {bf16}"


def inference_precision(device_type: str) -> InferencePrecision:
    """The precision to run inference in on a device of type ``device_type`` (``"cpu"``, ``"cuda"``, ...).

    ``bf16-mixed`` on CUDA GPUs that compute in bfloat16 (Ampere and later) and on CPUs with AVX512-BF16 or AMX;
    ``32-true`` elsewhere: older GPUs (which only emulate bfloat16; float16 would overflow T5 models), CPUs without
    native bfloat16, other accelerators. Pass a ``precision`` to the trainer to choose otherwise.
    """
    if device_type == "cuda" and torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported(including_emulation=False) else "32-true"
    if device_type == "cpu" and cpu_has_bf16():
        return "bf16-mixed"
    return "32-true"


def describe_device(device_type: str) -> str:
    """A short description of the device that explains the choice of :func:`inference_precision`."""
    if device_type == "cuda" and torch.cuda.is_available():
        return f"GPU {torch.cuda.get_device_name()}"
    if device_type == "cpu":
        return f"CPU {describe_cpu()}"
    return device_type


@contextmanager
def float32_scoring(device_type: str) -> Iterator[None]:
    """Autocast off: the computations inside (scores, similarities) run in the precision of their inputs.

    Cast the inputs to float32 inside the block; outside an autocast region it changes nothing.
    """
    with torch.autocast(device_type=device_type, enabled=False):
        yield


def float32_linear(layer: torch.nn.Linear, inputs: torch.Tensor) -> torch.Tensor:
    """``layer(inputs)`` computed in float32, whatever the autocast region or the layer's own dtype (scoring heads).

    Args:
        layer: A linear layer (its weights may be float32, bfloat16 or float16).
        inputs: ``(..., in_features)`` in any floating dtype.

    Returns:
        ``(..., out_features)`` float32.
    """
    bias = None if layer.bias is None else layer.bias.float()
    with float32_scoring(inputs.device.type):
        return torch.nn.functional.linear(inputs.float(), layer.weight.float(), bias)
