"""Checks shared by the local file readers and the datasets; a refused value raises an error naming where it is.

Local files are read line by line as UTF-8 (a byte-order mark at the start of a file is skipped) and every refusal is
a ``ValueError`` of the form ``"line 12 of runs/bm25.run: ..."``; nothing is skipped or coerced silently:

- ids must be non-empty and free of whitespace, since a TREC run could not hold them, and of byte-order marks (left
  inside a file by concatenating files that start with one); in JSON an id is a string or an integer (``1`` reads
  as ``"1"``; ``1.0``, ``true``, ``null``, lists and objects are refused);
- texts in JSON must be strings (leave an optional field out rather than writing ``null``);
- scores must be finite numbers; ranks and relevance labels must be integers (``2.0`` is read as ``2``, ``2.5`` is
  refused);
- a JSON object must not repeat a key.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class InputFileError(ValueError):
    """A line of an input file (collection, queries, qrels, tuples, run) is malformed; the message names both."""


def line_error(path: Path | str, line_no: int, message: str) -> InputFileError:
    """Builds the error raised for a malformed line."""
    return InputFileError(f"line {line_no} of {path}: {message}")


def check_file(path: Path | str, what: str) -> Path:
    """Returns ``path`` as a ``Path`` or raises ``FileNotFoundError`` naming the file and its role."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file {path} does not exist")
    return path


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    r"""Yields ``(line number, line without its newline)`` for every non-blank line of the UTF-8 file ``path``.

    Lines end at ``\n`` only (a ``\r`` before it is dropped). A UTF-8 byte-order mark opening the file is skipped.

    Raises:
        ValueError: A line is not valid UTF-8 (the message names the line and the offending byte).
    """
    with check_file(path, "input").open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if line_no == 1:
                if raw.startswith(_UTF16_BOMS):
                    raise line_error(path, line_no, "the file is UTF-16 encoded; re-encode it as UTF-8")
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise line_error(
                    path,
                    line_no,
                    f"is not valid UTF-8 (byte 0x{raw[error.start]:02x} at byte {error.start + 1} of the line); "
                    "re-encode the file as UTF-8",
                ) from None
            if line.strip():
                yield line_no, line


def iter_columns(
    path: Path, allowed: Sequence[int], layout: str, sep: str | None = "\t"
) -> Iterator[tuple[int, list[str]]]:
    """Yields ``(line number, columns)``; the first line's column count (one of ``allowed``) holds for the file.

    Args:
        path: The file.
        allowed: Allowed column counts.
        layout: Human-readable column layout used in error messages.
        sep: Column separator (``None`` splits on any whitespace).
    """
    expected: int | None = None
    for line_no, line in iter_lines(path):
        columns = line.split(sep)
        if expected is None and len(columns) in allowed:
            expected = len(columns)
        if len(columns) != expected:
            want = f"{expected}" if expected is not None else " or ".join(str(n) for n in allowed)
            raise line_error(path, line_no, f"has {len(columns)} columns, expected {want} ({layout})")
        yield line_no, columns


class _RepeatedKey(Exception):
    pass


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        keys = [key for key, _ in pairs]
        raise _RepeatedKey(next(key for key in keys if keys.count(key) > 1))
    return obj


def iter_json(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields ``(line number, object)`` for a JSONL file whose objects must carry the ``required`` keys.

    A required key written ``"a|b"`` is satisfied by either ``a`` or ``b``.
    """
    for line_no, line in iter_lines(path):
        try:
            obj = json.loads(line, object_pairs_hook=_object_without_repeated_keys)
        except json.JSONDecodeError as error:
            raise line_error(path, line_no, f"is not valid JSON ({error.msg})") from None
        except _RepeatedKey as error:
            raise line_error(path, line_no, f"repeats the key '{error}'") from None
        if not isinstance(obj, dict):
            raise line_error(path, line_no, "is not a JSON object")
        for key in required:
            options = key.split("|")
            if not any(option in obj for option in options):
                missing = " or ".join(f"'{option}'" for option in options)
                raise line_error(path, line_no, f"has no {missing} key, expected keys {list(required)}")
        yield line_no, obj


def show(value: Any) -> str:
    """Shows a column string as ``'text'`` and any other value as JSON (``null``, ``1.5``, ``["a"]``), shortened."""
    shown = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 60 else f"{shown[:57]}..."


def parse_number(value: Any, path: Path, line_no: int, name: str) -> float:
    """Parses a finite number (a column string or a JSON number) or raises an error naming the line and field."""
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise line_error(path, line_no, f"{name} {show(value)} is not a number") from None
    if not math.isfinite(number):
        raise line_error(path, line_no, f"{name} {show(value)} is not a finite number")
    return number


def parse_int(value: Any, path: Path, line_no: int, name: str) -> int:
    """Parses an integer (a column string, a JSON integer or an integral JSON float such as ``2.0``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return int(value)
        except ValueError:
            pass
    raise line_error(path, line_no, f"{name} {show(value)} is not an integer")


def id_problem(value: str) -> str | None:
    """Says why ``value`` cannot serve as an id (empty, containing whitespace or a byte-order mark), else ``None``."""
    if not value:
        return "is empty"
    if any(char.isspace() for char in value):
        return "contains whitespace (a TREC run could not hold it)"
    if "\ufeff" in value:
        return "contains a byte-order mark (U+FEFF), e.g. from concatenated files"
    return None


def check_id(value: str, path: Path, line_no: int, name: str) -> str:
    """Returns the id ``value`` or raises an error naming the line when it is empty or contains whitespace."""
    problem = id_problem(value)
    if problem is not None:
        raise line_error(path, line_no, f"{name} {show(value) + ' ' if value else ''}{problem}")
    return value


def parse_id(value: Any, path: Path, line_no: int, name: str) -> str:
    """Returns a JSON id as a string: strings as they are, integers written in decimal; anything else is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise line_error(path, line_no, f"{name} must be a string or an integer, got {show(value)}")
    return check_id(value, path, line_no, name)


def _json_field(obj: dict[str, Any], keys: str, path: Path, line_no: int) -> tuple[str, Any] | None:
    """Returns ``(key, value)`` for the first of the alternative ``keys`` (``"a|b"``) present in ``obj``.

    Raises:
        ValueError: Two alternatives are present with different values.
    """
    present = [key for key in keys.split("|") if key in obj]
    if not present:
        return None
    if any(obj[key] != obj[present[0]] for key in present[1:]):
        raise line_error(path, line_no, f"has both '{present[0]}' and '{present[1]}' with different values")
    return present[0], obj[present[0]]


def json_id(obj: dict[str, Any], keys: str, path: Path, line_no: int) -> str:
    """Returns the id under one of ``keys`` (``"doc_id|_id"``), which :func:`iter_json` made sure is present."""
    field = _json_field(obj, keys, path, line_no)
    if field is None:
        raise line_error(path, line_no, f"has no {' or '.join(repr(key) for key in keys.split('|'))} key")
    return parse_id(field[1], path, line_no, f"'{field[0]}'")


def json_text(obj: dict[str, Any], keys: str, path: Path, line_no: int) -> str | None:
    """Returns the text under one of ``keys`` (``"text|doc"``), ``None`` when absent; a non-string is refused."""
    field = _json_field(obj, keys, path, line_no)
    if field is None:
        return None
    key, value = field
    if not isinstance(value, str):
        raise line_error(path, line_no, f"'{key}' must be a string, got {show(value)}")
    return value


class FirstSeen:
    """Remembers where each id was first seen, so that a repeated id can be reported with both places."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}

    def add(self, item_id: str, position: int) -> int | None:
        """Records ``item_id`` at ``position``; returns the earlier position if the id was seen before."""
        first = self._first.setdefault(item_id, position)
        return None if first == position else first

    def check(self, item_id: str, position: int, source: str, what: str) -> None:
        """Records the id of the item at ``position`` (1-based) of a stream without line numbers.

        The stream is e.g. an ir_datasets iterator. An error naming ``source`` and the positions is raised when the id
        is not usable or is repeated.

        Args:
            item_id: The id.
            position: The item's position in the stream.
            source: What the stream is, e.g. ``"DocDataset 'beir/scifact'"``.
            what: What an item is, e.g. ``"document"``.
        """
        problem = id_problem(item_id)
        if problem is not None:
            raise ValueError(f"{source}: {what} {position} has the id {show(item_id)}, which {problem}")
        first = self.add(item_id, position)
        if first is not None:
            raise ValueError(
                f"{source}: {what} {position} has the id '{item_id}' of {what} {first}; {what} ids must be unique"
            )
