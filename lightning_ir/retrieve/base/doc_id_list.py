"""The document ids of an index held compactly: the ids files' bytes and one offset per id, not a string per id."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import overload

import numpy as np

from .errors import IndexFormatError
from .format import CONFIG_FILE, DOC_IDS_FILE


class DocIdList(Sequence[str]):
    """The ids of an index's documents in index order (across shards); each id is decoded when it is looked up.

    A Python list of ids costs about 60 bytes per id; this costs the ids' bytes plus 8.

    Args:
        data: The ids, each followed by a newline.
        starts: ``(num_ids + 1,)`` int64: where each id starts in ``data`` (the last entry: ``len(data)``).
    """

    def __init__(self, data: bytes, starts: np.ndarray) -> None:
        self._data = data
        self._starts = starts

    @classmethod
    def read(cls, shards: list[tuple[Path, int]]) -> DocIdList:
        """Reads the ``doc_ids.txt`` of every ``(shard folder, number of documents)``, checking the counts.

        Raises:
            FileNotFoundError: If a file is missing.
            IndexFormatError: If a file holds another number of ids than the index says.
        """
        parts, starts, offset = [], [np.zeros(1, dtype=np.int64)], 0
        for folder, num_docs in shards:
            path = folder / DOC_IDS_FILE
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: the index at {folder} is incomplete")
            data = path.read_bytes()
            if data and not data.endswith(b"\n"):
                data += b"\n"
            ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n")).astype(np.int64) + 1
            if ends.size != num_docs:
                raise IndexFormatError(f"{path} holds {ends.size} doc ids but {CONFIG_FILE} says {num_docs}")
            parts.append(data)
            starts.append(ends + offset)
            offset += len(data)
        return cls(b"".join(parts), np.concatenate(starts))

    def __len__(self) -> int:
        return self._starts.size - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"doc position {index} out of range for {len(self)} documents")
        return self._data[self._starts[index] : self._starts[index + 1] - 1].decode("utf-8")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(mine == theirs for mine, theirs in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(repr(doc_id) for doc_id in self[:3])
        return f"DocIdList([{shown}{', ...' if len(self) > 3 else ''}], {len(self)} ids)"
