"""Atomic, owner-checked writes: the one place where Lightning IR replaces a folder or a file.

Everything the library writes that must not be half-done (indexes, Hugging Face checkpoints, run files) is written to
a temporary sibling and renamed into place. An existing target is only ever replaced when it is something the library
wrote itself (the caller's ``is_ours`` check says so) or an empty folder; anything else is refused with an
:class:`OverwriteRefusedError` naming it, before any work starts when the caller checks early with
:func:`check_replaceable`.

A target reached through a symbolic link is written where the link points; the link is kept. Temporary (``.tmp``)
and moved-aside (``.old``) siblings left behind by a process that was killed mid-save carry that process's id and
are removed by the next successful save of the same target.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

OwnerCheck = Callable[[Path], bool]
"""Tells whether an existing path is something the library wrote (and may replace)."""

STAGING_MARKER = ".lightning_ir-staging"
"""File inside a temporary folder naming the host and process that made it."""


class OverwriteRefusedError(FileExistsError):
    """The target exists and is not something Lightning IR wrote, so it is left alone."""


def resolve_target(target: str | Path) -> Path:
    """The absolute path a write to ``target`` goes to: symbolic links (also dangling ones) are followed."""
    return Path(os.path.realpath(Path(target).expanduser()))


def check_replaceable(target: str | Path, is_ours: OwnerCheck, what: str, directory: bool = True) -> Path:
    """Checks that ``target`` may be written and returns the resolved path the write goes to.

    Args:
        target: The folder (or file, with ``directory=False``) to be written.
        is_ours: Tells whether an existing target was written by the library.
        what: What is written, for messages (e.g. ``"index"``, ``"run file"``).
        directory: Whether the target is a folder.

    Raises:
        OverwriteRefusedError: The target exists and is not the library's own (or an empty folder), is of the
            wrong kind (a file where a folder goes or the reverse), or holds the current working directory.
    """
    resolved = resolve_target(target)
    shown = str(target) if str(target) == str(resolved) else f"{target} (-> {resolved})"
    if not resolved.exists():
        return resolved
    if directory and not resolved.is_dir():
        raise OverwriteRefusedError(f"cannot write the {what} to {shown}: it is a file, not a folder")
    if not directory and resolved.is_dir():
        raise OverwriteRefusedError(f"cannot write the {what} to {shown}: it is a folder")
    if directory and _holds_working_directory(resolved):
        raise OverwriteRefusedError(
            f"cannot write the {what} to {shown}: it is (or contains) the current working directory; choose a new "
            "folder"
        )
    if directory and not any(resolved.iterdir()):
        return resolved
    if not directory and resolved.stat().st_size == 0:
        return resolved
    if not is_ours(resolved):
        kind = "folder" if directory else "file"
        raise OverwriteRefusedError(
            f"refusing to replace {shown}: the {kind} exists and is not a Lightning IR {what}, and replacing it would "
            f"delete its contents; choose another path or move it away"
        )
    return resolved


@contextmanager
def atomic_directory(target: str | Path, is_ours: OwnerCheck, what: str) -> Iterator[Path]:
    """Yields a fresh temporary folder beside ``target`` and renames it to ``target`` when the block succeeds.

    A previous ``target`` (checked with :func:`check_replaceable`) is moved aside and deleted only after the new one
    is in place; if the block or the rename fails, the temporary folder is removed and the previous target is back.

    Args:
        target: The folder to write.
        is_ours: Tells whether an existing ``target`` was written by the library.
        what: What is written, for messages.

    Yields:
        The temporary folder to write into.

    Raises:
        OverwriteRefusedError: See :func:`check_replaceable`.
    """
    resolved = check_replaceable(target, is_ours, what)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    staging = _sibling(resolved, "tmp")
    staging.mkdir()
    (staging / STAGING_MARKER).write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
    try:
        yield staging
        check_replaceable(target, is_ours, what)
        _replace_directory(staging, resolved, _sibling(resolved, "old"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    (resolved / STAGING_MARKER).unlink(missing_ok=True)
    remove_stale_siblings(resolved, is_ours)


@contextmanager
def atomic_file(target: str | Path, is_ours: OwnerCheck, what: str) -> Iterator[Path]:
    """Yields a temporary path beside the file ``target`` and renames it to ``target`` when the block succeeds.

    Args:
        target: The file to write.
        is_ours: Tells whether an existing ``target`` was written by the library (an empty file may be replaced).
        what: What is written, for messages.

    Yields:
        The temporary path to write (not yet created).

    Raises:
        OverwriteRefusedError: See :func:`check_replaceable`.
    """
    resolved = check_replaceable(target, is_ours, what, directory=False)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    temporary = _sibling(resolved, "tmp")
    try:
        yield temporary
        check_replaceable(target, is_ours, what, directory=False)
        os.replace(temporary, resolved)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    remove_stale_siblings(resolved, is_ours)


def remove_stale_siblings(target: Path, is_ours: OwnerCheck) -> list[Path]:
    """Removes the ``.tmp`` / ``.old`` siblings of ``target`` left by processes of this host that no longer run.

    A sibling is removed only when its name follows the library's pattern, the process named in it is gone, and it
    is the library's own: a temporary folder holding the staging marker, a temporary file, or a moved-aside target
    that ``is_ours`` accepts (or that is empty).

    Returns:
        The paths removed.
    """
    removed = []
    for sibling in target.parent.glob(f".{glob_escape(target.name)}.*"):
        pid = _stale_pid(sibling, target.name)
        if pid is None or _process_alive(pid):
            continue
        kind = sibling.name[len(target.name) + 2 :].split(".", 1)[0]
        if sibling.is_dir() and not sibling.is_symlink():
            marker = sibling / STAGING_MARKER
            if (kind == "tmp" and _marker_is_local(marker)) or (
                kind == "old" and (not any(sibling.iterdir()) or is_ours(sibling))
            ):
                shutil.rmtree(sibling, ignore_errors=True)
                removed.append(sibling)
        elif sibling.is_file() and kind == "tmp":
            sibling.unlink(missing_ok=True)
            removed.append(sibling)
    return removed


def glob_escape(name: str) -> str:
    """``name`` with the glob special characters escaped."""
    return "".join(f"[{char}]" if char in "*?[]" else char for char in name)


def _sibling(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{kind}.{os.getpid()}.{uuid.uuid4().hex[:8]}")


def _stale_pid(sibling: Path, name: str) -> int | None:
    """The process id in ``.<name>.<tmp|old>.<pid>.<hex>``, or None when the name does not follow that pattern."""
    rest = sibling.name[len(name) + 2 :].split(".")
    if len(rest) != 3 or rest[0] not in ("tmp", "old") or not rest[1].isdigit():
        return None
    return int(rest[1])


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _marker_is_local(marker: Path) -> bool:
    """Whether a staging marker exists and was written on this host."""
    with suppress(OSError, UnicodeDecodeError):
        return marker.read_text(encoding="utf-8").split()[0] == socket.gethostname()
    return False


def _holds_working_directory(folder: Path) -> bool:
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        return False
    return cwd == folder or folder in cwd.parents


def _replace_directory(source: Path, target: Path, backup: Path) -> None:
    """Renames ``source`` to ``target``, moving an existing ``target`` aside first and restoring it on failure."""
    if not target.exists():
        os.replace(source, target)
        return
    os.replace(target, backup)
    try:
        os.replace(source, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
