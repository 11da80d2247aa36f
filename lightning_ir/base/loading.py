"""Checks on where a model is loaded from, so that a mistyped path or a damaged file is named in the error.

Hugging Face takes every name that is not an existing folder for a hub id, so a mistyped local path fails with
"Repo id must be in the form ...", and a damaged weight or tokenizer file fails deep inside safetensors, torch or
tokenizers with a message that does not say which file. The helpers here turn both into errors that name the path.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from safetensors import safe_open

WEIGHT_FILES = (
    "model*.safetensors",
    "model.safetensors.index.json",
    "pytorch_model*.bin",
    "pytorch_model.bin.index.json",
)
"""The weight files Hugging Face reads from a model folder (glob patterns)."""

TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json", "special_tokens_map.json", "added_tokens.json")
"""The JSON files a tokenizer is read from."""


def looks_like_local_path(model_name_or_path: str) -> bool:
    """Whether a name is meant as a local path rather than a Hugging Face Hub id (``"name"`` or ``"org/name"``).

    It is when it is absolute, starts with ``./``, ``../`` or ``~``, has more than the two parts of a hub id, or when
    the first of its two parts is an existing folder (``mymodels/typo`` when ``mymodels/`` exists).
    """
    name = model_name_or_path.replace(os.sep, "/")
    if name in (".", "..") or name.startswith(("./", "../", "~")) or Path(name).is_absolute():
        return True
    parts = name.split("/")
    return len(parts) > 2 or (len(parts) == 2 and Path(parts[0]).is_dir())


def check_model_path(model_name_or_path: str | os.PathLike[str], owner: str, argument: str) -> str:
    """Check that a name which looks like a local path (see :func:`looks_like_local_path`) is a model folder.

    Args:
        model_name_or_path: A local folder or a Hugging Face Hub id.
        owner: Who asks, e.g. ``"BiEncoderModule"`` (starts the error message).
        argument: The name of the argument that was given ``model_name_or_path`` (named in the error message).

    Returns:
        The name as a string (with ``~`` expanded); hub ids are returned unchanged.

    Raises:
        NotADirectoryError: If the name is a file (e.g. ``model.safetensors``) rather than the folder holding it.
        FileNotFoundError: If the name looks like a local path but there is no such directory.
    """
    name = os.path.expanduser(str(model_name_or_path))
    path = Path(name)
    if path.is_dir():
        return name
    if path.is_file():
        raise NotADirectoryError(
            f"{owner}: {argument}={name!r} is a file, not a model folder; pass the folder that holds config.json and "
            f"the weights (perhaps {str(path.parent)!r})"
        )
    if not looks_like_local_path(str(model_name_or_path)):
        return name
    existing = next((parent for parent in path.absolute().parents if parent.is_dir()), None)
    hint = f"; the nearest existing folder is {str(existing)!r}" if existing is not None else ""
    if len(name.split("/")) == 2 and not name.startswith(("/", ".", "~")):
        hint += (
            f" (it is read as a local path because the folder {name.split('/')[0]!r} exists; run from another "
            "directory to load the Hugging Face Hub model of that name)"
        )
    raise FileNotFoundError(f"{owner}: {argument}={name!r}: no such directory ({path.absolute()}){hint}")


def read_json(path: Path, owner: str) -> Any:
    """The content of a JSON file.

    Raises:
        ValueError: If the file is not valid JSON, naming it.
        FileNotFoundError: If the file does not exist, naming it.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{owner}: missing {path}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{owner}: {path} is not valid JSON ({error})") from error


@contextmanager
def naming_damaged_files(
    model_name_or_path: str | os.PathLike[str], owner: str, patterns: Sequence[str]
) -> Iterator[None]:
    """Turn an error of the loading code inside into a ValueError naming the damaged file, if there is one.

    After an error, the files of the local folder ``model_name_or_path`` that match ``patterns`` are examined: an
    empty file, invalid JSON, a truncated safetensors file or a ``.bin`` checkpoint without its zip directory is
    named. Other errors, and errors for hub ids, pass unchanged. Nothing is read when loading succeeds.

    Args:
        model_name_or_path: The folder (or hub id) being loaded.
        owner: Who loads (starts the error message).
        patterns: Glob patterns of the files to examine, e.g. :data:`WEIGHT_FILES`.

    Raises:
        ValueError: Naming the damaged file, chained to the original error.
    """
    try:
        yield
    except Exception as error:
        problem = find_damaged_file(Path(model_name_or_path), patterns)
        if problem is None:
            raise
        raise ValueError(f"{owner}: {problem}") from error


def find_damaged_file(directory: Path, patterns: Sequence[str]) -> str | None:
    """``"<file> <what is wrong>"`` for the first damaged file of ``directory`` matching ``patterns``, else None."""
    if not directory.is_dir():
        return None
    for pattern in patterns:
        for file in sorted(directory.glob(pattern)):
            problem = _file_problem(file)
            if problem is not None:
                return f"{file} {problem}"
    return None


def _file_problem(file: Path) -> str | None:
    if file.stat().st_size == 0:
        return "is empty"
    if file.suffix == ".json":
        try:
            json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return f"is not valid JSON ({error})"
    elif file.suffix == ".safetensors":
        try:
            with safe_open(str(file), "pt"):  # reads the header and checks the file is as long as it says
                pass
        except Exception as error:
            return f"is truncated or not a safetensors file ({error})"
    elif file.suffix == ".bin" and not zipfile.is_zipfile(file):
        return "is truncated or not a PyTorch checkpoint (its zip directory is missing)"
    return None
