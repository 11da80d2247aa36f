"""Base class of search configurations."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .searcher import Searcher


def check_positive(name: str, value: int) -> int:
    """Returns ``value`` if it is a positive int, else raises a ValueError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class SearchConfig:
    """Configuration of a search: how many documents to return per query and the searcher that runs it.

    Args:
        k: Number of documents to retrieve per query (at most the number of indexed documents are returned).

    Raises:
        ValueError: If ``k <= 0``.
    """

    searcher_class: ClassVar[type[Searcher]]

    def __init__(self, k: int = 10) -> None:
        self.k = check_positive("k", k)

    def __repr__(self) -> str:
        params = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]
