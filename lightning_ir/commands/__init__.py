"""Subcommands of ``lightning-ir`` that need no trainer: first-stage BM25, fusion, reports, pipelines, mining.

Each lives in its own module, which exposes ``main(args: list[str]) -> None``; :data:`COMMANDS` maps the subcommand
name to that module, so ``lightning-ir fuse ...`` imports :mod:`lightning_ir.commands.fuse` only when it runs.
The trainer's subcommands (``fit``, ``index``, ``search``, ``re_rank``, ...) are LightningCLI's (see
:mod:`lightning_ir.cli`).
"""

from __future__ import annotations

import importlib

COMMANDS: dict[str, str] = {
    "bm25_index": "lightning_ir.commands.bm25_index",
    "bm25_search": "lightning_ir.commands.bm25_search",
    "evaluate": "lightning_ir.commands.evaluate",
    "fuse": "lightning_ir.commands.fuse",
    "mine": "lightning_ir.commands.mine",
    "pipeline": "lightning_ir.commands.pipeline",
    "score_tuples": "lightning_ir.commands.score_tuples",
}
"""Subcommand name -> module (``"lightning_ir.commands.fuse"``) whose ``main(args)`` runs it."""


def run_command(name: str, args: list[str]) -> None:
    """Run the subcommand ``name`` with its arguments (those after the name).

    Raises:
        KeyError: If ``name`` is not one of :data:`COMMANDS`.
    """
    module = importlib.import_module(COMMANDS[name])
    module.main(args)
