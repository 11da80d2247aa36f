"""Keeps glibc's allocator from mapping and unmapping large activation tensors on every CPU training step.

glibc serves an allocation above its mmap threshold with a fresh memory mapping and unmaps it when freed, so the
kernel zeroes its pages anew every time. The threshold adapts to freed blocks, but only up to 32 MiB on 64-bit
systems. A bi-encoder batch encodes its documents together (32 queries with 2 documents each: 64 texts of 128
tokens), so its activations, attention maps and gradients are larger than that: every one of them is mapped,
zeroed and unmapped in every step. On 2 CPU cores this cost 5 to 15 % of a training step.

:func:`tune_allocator_for_training` raises the thresholds once per process, so freed blocks stay in the heap for
the next step. ``LightningIRTrainer.fit`` calls it when it trains on the CPU and prints what it did, as it prints
the precision. The process then keeps its peak memory until it exits instead of returning freed blocks to the
system. ``LIGHTNING_IR_TUNE_MALLOC=0`` leaves the allocator alone. So do allocator settings of the user's own
(``MALLOC_*`` or ``GLIBC_TUNABLES`` environment variables, or another allocator preloaded with ``LD_PRELOAD``), and
systems without glibc.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Callable

OPT_OUT_VARIABLE = "LIGHTNING_IR_TUNE_MALLOC"
THRESHOLD_BYTES = 1 << 30  # blocks up to 1 GiB are kept for reuse
_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES", "LD_PRELOAD")

_tuned: bool | None = None  # the outcome of this process's first call


def _glibc_mallopt() -> Callable[[int, int], int] | None:
    """The ``mallopt`` of glibc, or None on other systems."""
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt  # type: ignore[no-any-return]


def skip_reason() -> str | None:
    """Why the allocator is left alone (opted out, the user's own settings, no glibc), or None to tune it."""
    if os.environ.get(OPT_OUT_VARIABLE, "1").strip().lower() in ("0", "false", "no", "off"):
        return f"{OPT_OUT_VARIABLE} is off"
    given = [name for name in _USER_SETTINGS if os.environ.get(name)]
    if given:
        return f"{given[0]} is set"
    if _glibc_mallopt() is None:
        return "not glibc"
    return None


def tune_allocator_for_training() -> bool:
    """Raises glibc's mmap and trim thresholds to :data:`THRESHOLD_BYTES`, once per process.

    Returns:
        True if the thresholds are raised (now or by an earlier call); False if the allocator is left alone (see
        :func:`skip_reason`) or glibc refused a setting.
    """
    global _tuned
    if _tuned is None:
        mallopt = None if skip_reason() is not None else _glibc_mallopt()
        _tuned = bool(
            mallopt is not None
            and mallopt(_M_MMAP_THRESHOLD, THRESHOLD_BYTES)
            and mallopt(_M_TRIM_THRESHOLD, THRESHOLD_BYTES)
        )
    return _tuned
