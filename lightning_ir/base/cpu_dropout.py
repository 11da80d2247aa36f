"""Faster dropout for training on CPUs.

PyTorch draws a CPU dropout mask with ``bernoulli_``, one float at a time on one thread; for a BERT-size model that
draw alone is ~15 % of a training step (the attention probabilities of a 64 x 128-token batch are 75 million masked
values per step). :func:`use_cpu_dropout` makes a model's dropout on CPU draw 15-bit integers instead, on every
intra-op thread (several times faster), and gives its attention a math kernel that uses that dropout and skips the
fully-masked-row checks of PyTorch's math SDPA kernel.

What changes and what does not:

* The distribution: every value is kept with probability ``1 - p`` and scaled by ``1 / (1 - p)``, as before, except
  that ``p`` is rounded to a multiple of 2^-15 (0.1 becomes 0.100006); the scale uses the rounded ``p``, so the
  expected output still equals the input.
* The draws: they derive from PyTorch's default CPU generator (seeded by ``seed_everything``; the same seed and
  number of threads draw the same masks), but are not the draws ``torch.nn.functional.dropout`` would make.
* Evaluation is untouched: without dropout (``model.eval()``, ``p == 0``) the attention is the ``"sdpa"`` kernel
  itself and the dropout layers are identities, so scores are bit-identical. So is anything not on a CPU.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch
from torch import nn
from transformers import AttentionInterface, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

RESOLUTION = 2**15
"""Drop probabilities are multiples of ``1 / RESOLUTION`` (a mask value is a uniform integer below it)."""

ATTENTION = "lightning_ir_cpu_sdpa"
"""The attention implementation name :func:`use_cpu_dropout` gives a model's ``config._attn_implementation``."""


_POOL: tuple[int, int, ThreadPoolExecutor] | None = None  # (process id, threads, pool)

PART = 1 << 16
"""Masks of fewer values than twice this are drawn on one thread."""


def _threads(count: int) -> ThreadPoolExecutor:
    """A pool of ``count`` threads of this process (a forked child makes its own)."""
    global _POOL
    if _POOL is None or _POOL[:2] != (os.getpid(), count):
        _POOL = (os.getpid(), count, ThreadPoolExecutor(count, thread_name_prefix="lightning_ir_dropout"))
    return _POOL[2]


def _draw(part: torch.Tensor, seed: int) -> None:
    part.random_(generator=torch.Generator().manual_seed(seed))


def keep_mask(shape: torch.Size | tuple[int, ...], threshold: int) -> torch.Tensor:
    """Whether to keep each value: a uniform 15-bit integer at least ``threshold``, for every value of ``shape``.

    PyTorch's CPU generator draws on one thread, so a large mask is split into up to ``torch.get_num_threads()``
    parts, each drawn on its own thread by a generator seeded from the default one: the same seed and thread count
    give the same mask.
    """
    draws = torch.empty(shape, dtype=torch.int16)
    parts = min(torch.get_num_threads(), draws.numel() // PART)
    if parts < 2:
        draws.random_()
    else:
        seeds = torch.randint(0, 2**62, (parts,)).tolist()
        list(_threads(parts).map(_draw, draws.view(-1).chunk(parts), seeds))
    return draws >= threshold


def _mask(inputs: torch.Tensor, p: float) -> tuple[torch.Tensor, float] | None:
    """The keep mask and scale of dropping ``inputs`` with ``p``; None where PyTorch's dropout applies."""
    threshold = round(p * RESOLUTION)
    if inputs.device.type != "cpu" or not 0 < threshold < RESOLUTION:
        return None  # other devices, and p that 15 bits cannot express
    return keep_mask(inputs.shape, threshold), RESOLUTION / (RESOLUTION - threshold)


def cpu_dropout(inputs: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Dropout of ``inputs`` with a 15-bit integer mask on CPU; ``torch.nn.functional.dropout`` elsewhere.

    Args:
        inputs: Any floating-point tensor.
        p: Drop probability, in [0, 1].
        training: Without training, ``inputs`` is returned as is.

    Returns:
        A new tensor (``inputs`` is not written to).
    """
    if not training or p == 0.0:
        return inputs
    mask = _mask(inputs, p)
    if mask is None:
        return nn.functional.dropout(inputs, p, training)
    keep, scale = mask
    return torch.where(keep, inputs * scale, 0.0)


class CPUDropout(nn.Dropout):
    """``nn.Dropout`` that drops with :func:`cpu_dropout` (``inplace`` keeps PyTorch's dropout)."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: A002 (nn.Module's argument name)
        """Dropout of ``input`` in training mode, ``input`` itself in evaluation mode."""
        if self.inplace:
            return super().forward(input)
        return cpu_dropout(input, self.p, self.training)


def _plain_attention(module: nn.Module, attention_mask: Any, is_causal: Any, kwargs: dict[str, Any]) -> bool:
    """Whether an attention call is the plain case the math kernel covers: bidirectional, no extras."""
    return (
        not is_causal
        and getattr(module, "is_causal", True) is False
        and getattr(module, "num_key_value_groups", 1) == 1
        and (attention_mask is None or attention_mask.dim() == 4)
        and all(value is None or value is False for value in kwargs.values())
    )


def cpu_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """Scaled dot-product attention with :func:`cpu_dropout` on the probabilities (a Hugging Face attention function).

    Runs Hugging Face's ``"sdpa"`` function unless it is CPU training of plain bidirectional attention: no dropout,
    another device, causal masks, grouped key/value heads, position biases or other extras all go there.

    Args:
        module: The attention module calling.
        query: ``(batch, heads, query tokens, head dim)``.
        key: ``(batch, heads, key tokens, head dim)``.
        value: ``(batch, heads, key tokens, head dim)``.
        attention_mask: ``None``, or ``(batch, 1 or heads, query tokens, key tokens)``: boolean (True attends) or
            additive.
        dropout: Drop probability of the attention probabilities.
        scaling: Factor on the scores (default ``head dim ** -0.5``).
        is_causal: Whether the attention is causal.
        **kwargs: Further arguments of the attention interface.

    Returns:
        The output ``(batch, query tokens, heads, head dim)`` and ``None`` (no attention weights), as ``"sdpa"``.
    """
    if dropout == 0.0 or query.device.type != "cpu" or not _plain_attention(module, attention_mask, is_causal, kwargs):
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, is_causal=is_causal, **kwargs
        )
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    scores = torch.matmul(query, key.transpose(-1, -2)).mul_(scale)
    if attention_mask is not None:
        attends = attention_mask[:, :, :, : key.shape[-2]]
        if attends.dtype == torch.bool:
            scores = scores.masked_fill_(~attends, torch.finfo(scores.dtype).min)
        else:
            scores = scores.add_(attends)
    probabilities = torch.softmax(scores, dim=-1)
    drop = _mask(probabilities, dropout)
    if drop is None:
        output = torch.matmul(nn.functional.dropout(probabilities, dropout), value)
    else:  # the scale goes on the (head dim wide) output rather than the (key tokens wide) probabilities
        output = torch.matmul(torch.where(drop[0], probabilities, 0.0), value).mul_(drop[1])
    return output.transpose(1, 2).contiguous(), None


AttentionInterface.register(ATTENTION, cpu_attention)
AttentionMaskInterface.register(ATTENTION, sdpa_mask)


def _runs_sdpa(model: PreTrainedModel) -> bool:
    """Whether a Hugging Face model runs ``"sdpa"`` through the attention interface."""
    return model._supports_attention_backend and getattr(model.config, "_attn_implementation", None) == "sdpa"


def use_cpu_dropout(model: nn.Module) -> int:
    """Make ``model`` drop out with :func:`cpu_dropout` when it trains on a CPU; evaluation is unchanged.

    Every ``nn.Dropout`` becomes a :class:`CPUDropout`, and every Hugging Face model in it that runs the ``"sdpa"``
    attention implementation through the attention interface runs :func:`cpu_attention` (which is ``"sdpa"``
    whenever there is no dropout). Nothing saved changes: dropout layers hold no weights and the attention
    implementation is not written to ``config.json``. Calling it again changes nothing.

    Args:
        model: Any module (a Lightning IR model, a backbone, a peft-wrapped model).

    Returns:
        How many dropout layers and attention implementations were changed.
    """
    changed = 0
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if type(child) is nn.Dropout:
                setattr(parent, name, CPUDropout(child.p))
                changed += 1
        if isinstance(parent, PreTrainedModel) and _runs_sdpa(parent):
            parent.config._attn_implementation = ATTENTION
            changed += 1
    return changed
