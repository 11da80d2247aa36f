"""Argument parsing of the trainer-less subcommands: a bad argument is one error line, not a usage dump."""

from __future__ import annotations

import argparse
from typing import NoReturn


class CommandLineError(ValueError):
    """A subcommand's argument is missing or invalid; ``lightning-ir`` prints it as one line and exits with 1."""


class CommandParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose errors raise :class:`CommandLineError` (``--help`` still prints and exits 0).

    Args:
        command: The subcommand's name (``"fuse"``); the program name becomes ``lightning-ir <command>``.
        description: What the subcommand does (shown by ``--help``).
    """

    def __init__(self, command: str, description: str) -> None:
        self.command = command
        super().__init__(
            prog=f"lightning-ir {command}",
            description=description,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )

    def error(self, message: str) -> NoReturn:
        """Raise the parse error instead of printing the usage and exiting with 2."""
        raise CommandLineError(f"{self.command}: {message}")


def argument_error(command: str, error: ValueError, owner: str) -> CommandLineError:
    """A ``ValueError`` of the Python function ``owner`` behind ``command`` as a command-line error of ``command``.

    The function's name is replaced by the command's (``"fuse_runs: weights ..."`` -> ``"fuse: weights ..."``); the
    option names of the function are those of the command without the ``--``.
    """
    return CommandLineError(f"{command}: {str(error).removeprefix(f'{owner}: ')}")
