"""Base class of search configurations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ...validation import check_positive
from .retrieve_config import RetrieveConfig

if TYPE_CHECKING:
    from .searcher import Searcher


@dataclass(frozen=True)
class SearchConfig(RetrieveConfig):
    """Configuration of a search: how many documents to return per query and the searcher that runs it.

    Subclasses are dataclasses that add their parameters as fields, check them in ``__post_init__`` (calling this
    one) and set ``searcher_class``.

    Args:
        k: Number of documents to retrieve per query (at most the number of indexed documents are returned).

    Raises:
        ValueError: If ``k`` is not a positive integer.
    """

    searcher_class: ClassVar[type[Searcher]]

    k: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", check_positive(type(self).__name__, "k", self.k))


def check_flag(owner: str, option: str, value: object) -> None:
    """Raises a ValueError naming ``owner`` and ``option`` unless ``value`` is True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{owner}: {option} must be True or False, got {value!r}")
