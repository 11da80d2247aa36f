""".npy files written row by row as data arrives, and read back block by block with explicit reads.

Index data is streamed to disk while documents are encoded, so the number of rows is not known when a file is
opened. :class:`NpyWriter` writes numpy's own ``.npy`` header with zero rows, appends rows, and rewrites the header
with the final row count when it closes; numpy's header leaves room for the row count to grow in place, so the header
keeps its length. Any ``.npy`` reader (``np.load``) reads the result.

:class:`NpyReader` reads rows with ``readinto`` into caller-provided buffers. Unlike a memory map, pages read this way
are not counted in the process's resident memory, so an index larger than RAM can be scanned with a bounded working
set.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import IndexFormatError


def _header(dtype: np.dtype, shape: tuple[int, ...]) -> dict:
    return {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}


class NpyWriter:
    """Appends rows to a new ``.npy`` file; :meth:`close` writes the final shape into the header.

    Args:
        path: The file to create (must not exist).
        dtype: The element type.
        row_shape: The shape of one row (``(dim,)`` for vectors, ``()`` for scalars).
    """

    def __init__(self, path: Path, dtype: np.dtype | type, row_shape: tuple[int, ...] = ()) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.row_shape = tuple(row_shape)
        self.num_rows = 0
        self._file: BinaryIO | None = open(path, "xb", buffering=0)  # noqa: SIM115 - closed in close() or abort()
        np.lib.format.write_array_header_1_0(self._file, _header(self.dtype, (0, *self.row_shape)))
        self.data_offset = self._file.tell()

    def append(self, rows: np.ndarray) -> None:
        """Appends ``(n, *row_shape)`` rows (converted to the file's dtype)."""
        if self._file is None:
            raise ValueError(f"{self.path} is closed")
        if tuple(rows.shape[1:]) != self.row_shape:
            raise ValueError(
                f"rows of shape {tuple(rows.shape[1:])} cannot be appended to {self.path}: {self.row_shape}"
            )
        view = _raw_bytes(np.ascontiguousarray(rows, dtype=self.dtype))
        while view:  # unbuffered: every batch goes to the operating system right away
            view = view[self._file.write(view) :]
        self.num_rows += rows.shape[0]

    def close(self) -> Path:
        """Writes the final row count into the header and closes the file (again: no effect)."""
        if self._file is None:
            return self.path
        self._file.seek(0)
        np.lib.format.write_array_header_1_0(self._file, _header(self.dtype, (self.num_rows, *self.row_shape)))
        if self._file.tell() != self.data_offset:
            self._file.close()
            raise ValueError(f"{self.path}: the header changed length while the row count grew")
        self._file.close()
        self._file = None
        return self.path

    def abort(self) -> None:
        """Closes the file without finishing it (the caller deletes the folder it is in)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class NpyReader:
    """Reads rows of a ``.npy`` file with explicit reads (no memory map).

    The file is opened once, so a reader keeps reading the file it was created on even when an index is rebuilt and
    renamed over the same path meanwhile; reads carry their own position (``preadv``), so readers shared with forked
    processes do not disturb each other. :meth:`close` (or ``with``) releases the file.

    Args:
        path: The ``.npy`` file.

    Raises:
        FileNotFoundError: If the file is missing.
        IndexFormatError: If it is not a readable ``.npy`` file, is Fortran-ordered, or is shorter than its header says.
    """

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: the index at {path.parent} is incomplete")
        self.path = path
        self._file: BinaryIO = open(path, "rb", buffering=0)  # noqa: SIM115 - kept open (see the class docstring)
        self._lock = threading.Lock()
        try:
            self._read_header()
        except BaseException:
            self._file.close()
            raise

    def _read_header(self) -> None:
        try:
            version = np.lib.format.read_magic(self._file)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(self._file)
            else:
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(self._file)
            self.offset = self._file.tell()
        except (OSError, ValueError, EOFError) as error:
            raise IndexFormatError(f"{self.path} is corrupt ({error})") from error
        if fortran_order or dtype.hasobject or not shape:
            raise IndexFormatError(f"{self.path} is not a C-ordered array of rows")
        self.shape: tuple[int, ...] = tuple(shape)
        self.dtype: np.dtype = dtype
        self.row_bytes = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
        expected = self.offset + self.shape[0] * self.row_bytes
        size = os.fstat(self._file.fileno()).st_size
        if size < expected:
            raise IndexFormatError(f"{self.path} is corrupt (truncated: {size} bytes, expected {expected})")

    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return self.shape[0]

    def close(self) -> None:
        """Closes the file (reading afterwards raises ``ValueError``)."""
        self._file.close()

    def __enter__(self) -> NpyReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``[start, stop)``, read into ``out`` (its first ``stop - start`` rows) or a new array."""
        stop = min(stop, self.num_rows)
        count = max(0, stop - start)
        if out is None:
            out = np.empty((count, *self.shape[1:]), dtype=self.dtype)
        target = out[:count]
        if count:
            self._read_at(start, _raw_bytes(target))
        return target

    def read_all(self, out: np.ndarray | None = None, block_rows: int = 1 << 16) -> np.ndarray:
        """The whole array (into ``out`` if given), read in blocks of ``block_rows`` rows."""
        if out is None:
            out = np.empty(self.shape, dtype=self.dtype)
        for start in range(0, self.num_rows, block_rows):
            self._read_at(start, _raw_bytes(out[start : start + block_rows]))
        return out

    def read_rows(self, rows: np.ndarray) -> np.ndarray:
        """The rows at the given positions (in that order); runs of consecutive rows are read at once."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((rows.size, *self.shape[1:]), dtype=self.dtype)
        if rows.size == 0:
            return out
        if int(rows.min()) < 0 or int(rows.max()) >= self.num_rows:
            raise IndexError(f"row out of range [0, {self.num_rows}) of {self.path}")
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
        starts = np.concatenate([[0], breaks])
        stops = np.concatenate([breaks, [ordered.size]])
        gathered = np.empty_like(out)
        for first, last in zip(starts.tolist(), stops.tolist(), strict=True):
            self._read_at(int(ordered[first]), _raw_bytes(gathered[first:last]))
        out[order] = gathered
        return out

    def _read_at(self, row: int, view: memoryview) -> None:
        """Fills ``view`` with the file's bytes from row ``row`` on."""
        position = self.offset + row * self.row_bytes
        filled = 0
        while filled < len(view):
            if hasattr(os, "preadv"):
                count = os.preadv(self._file.fileno(), [view[filled:]], position + filled)
            else:  # no positional reads (Windows): one reader's seek and read must not interleave with another's
                with self._lock:
                    self._file.seek(position + filled)
                    count = self._file.readinto(view[filled:])  # type: ignore[attr-defined]
            if not count:
                raise IndexFormatError(f"{self.path} is corrupt (ended early)")
            filled += count


def _raw_bytes(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array, writable where the array is."""
    if not array.flags.c_contiguous:
        raise ValueError("explicit reads and writes need C-contiguous arrays")
    return array.reshape(-1).view(np.uint8).data
