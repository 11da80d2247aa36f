"""The error raised for index directories that cannot be read."""

from __future__ import annotations


class IndexFormatError(ValueError):
    """An index directory exists but is corrupt, incomplete or inconsistent."""
