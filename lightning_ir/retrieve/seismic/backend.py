"""Lazy import of the optional Seismic backend (``pyseismic-lsr``), and quieting its console output."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


def import_seismic() -> ModuleType:
    """Imports Seismic, or raises an ImportError that says how to install it."""
    try:
        import seismic
    except ImportError as error:
        raise ImportError(
            "Seismic indexes need the pyseismic-lsr package: pip install 'lightning-ir[seismic]'"
        ) from error
    return seismic


@contextmanager
def quiet_stdout(quiet: bool = True) -> Iterator[None]:
    """Silences what native code prints to the process's standard output (Seismic reports its build steps there).

    Python's ``sys.stdout`` is flushed first; the file descriptor is restored afterwards, also on errors.
    """
    if not quiet:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w", encoding="utf-8") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
