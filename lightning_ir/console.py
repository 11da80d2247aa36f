"""A quiet console: third-party messages the library knows to be harmless are left out, real problems still show.

Each silenced message is named exactly here (by its text), so nothing else is hidden:

- Lightning's advertising tips (``💡 Tip: ...``), its accelerator inventory (``GPU available: ...``) and seeding notes
  (``Seed set to ...``, ``No seed found ...``), which say nothing about the user's run, and ir_datasets' note that it
  opens a file with direct access;
- ``Your IterableDataset has __len__ defined``: Lightning's guess that a dataset with a length may be read twice
  by several workers; Lightning IR's datasets shard themselves per worker and per process, so their length holds;
- torch's ``isinstance(treespec, LeafSpec) is deprecated``, raised inside Lightning's own code;
- LightningCLI's advice against passing ``args`` beside a command line, given when ``lightning-ir`` drops empty
  ``--config`` files from its own command line;
- transformers' weight-loading progress bar and its load report for checkpoint weights the backbone does not use
  (e.g. a sentence-transformers checkpoint's pooler): weights the backbone *needs* but the checkpoint lacks are
  still reported, by :func:`warn_missing_weights`.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

HARMLESS_LOG_LINES = re.compile(
    r"^(💡 Tip: |(GPU|TPU|HPU) available: |Seed set to |No seed found, seed set to |Opening .* with direct file access)"
)
"""Informational lines of Lightning's (and ir_datasets' file-access notes) that are not about the run."""

HARMLESS_WARNINGS: tuple[tuple[str, type[Warning]], ...] = (
    (r"Your `IterableDataset` has `__len__` defined", UserWarning),
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning),
    (r"No seed found, seed set to", UserWarning),
    (r"LightningCLI's args parameter is intended to run from within Python", UserWarning),
)
"""``(message regex, category)`` of the third-party warnings that are known to be harmless here."""

LIGHTNING_LOGGERS = (
    "lightning.pytorch.utilities.rank_zero",
    "lightning.fabric.utilities.seed",
    "lightning.fabric.utilities.rank_zero",
    "lightning.pytorch",
    "ir_datasets",
)


class _HarmlessLineFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not HARMLESS_LOG_LINES.match(str(record.getMessage()))


_LINE_FILTER = _HarmlessLineFilter()


@contextmanager
def quiet_console() -> Iterator[None]:
    """Leaves out the harmless Lightning log lines and warnings listed in this module while the block runs."""
    loggers = [logging.getLogger(name) for name in LIGHTNING_LOGGERS]
    for logger in loggers:
        logger.addFilter(_LINE_FILTER)
    with warnings.catch_warnings():
        for message, category in HARMLESS_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeFilter(_LINE_FILTER)


@contextmanager
def quiet_transformers_loading() -> Iterator[None]:
    """Silences transformers' loading progress bar and load report while weights load.

    See :func:`warn_missing_weights` for what is still reported.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def warn_missing_weights(loading_info: Any, source: str, what: str = "backbone") -> None:
    """Warns when a checkpoint lacks weights the model needs or had to skip some for a size mismatch.

    Missing weights were freshly initialised; weights the checkpoint has but the model does not use are not reported.

    Args:
        loading_info: The ``loading_info`` dictionary transformers' ``from_pretrained(output_loading_info=True)``
            returns (``missing_keys``, ``mismatched_keys``).
        source: The checkpoint, for the message.
        what: What was loaded, for the message.
    """
    info = loading_info if isinstance(loading_info, dict) else {}
    missing = sorted(info.get("missing_keys") or [])
    mismatched = [
        str(entry[0] if isinstance(entry, tuple | list) else entry) for entry in info.get("mismatched_keys") or []
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        warnings.warn(
            f"{source}: the {what} weights {shown} are not in the checkpoint and were initialised randomly",
            stacklevel=3,
        )
    if mismatched:
        warnings.warn(
            f"{source}: the {what} weights {', '.join(mismatched[:5])} have other shapes in the checkpoint "
            "and were initialised randomly",
            stacklevel=3,
        )
