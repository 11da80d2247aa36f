"""Argument parsing of the trainer-less subcommands: a bad argument is one error line, not a usage dump."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from ..data.validation import InputFileError


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


@contextmanager
def argument_errors(command: str, owner: str) -> Iterator[None]:
    """Turns a ``ValueError`` of the Python function ``owner`` behind ``command`` into a command-line error.

    The function's name is replaced by the command's (``"fuse_runs: weights ..."`` -> ``"fuse: weights ..."``); the
    option names of the function are those of the command without the ``--``. An :class:`InputFileError` (a bad line
    of an input file, which names the file itself) passes unchanged.

    Args:
        command: The subcommand (``"fuse"``).
        owner: The function it calls (``"fuse_runs"``).

    Raises:
        CommandLineError: The function refused an argument.
    """
    try:
        yield
    except InputFileError:
        raise
    except ValueError as error:
        raise CommandLineError(f"{command}: {str(error).removeprefix(f'{owner}: ')}") from error
