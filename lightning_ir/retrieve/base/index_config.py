"""Base class of index configurations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .indexer import Indexer


class IndexConfig:
    """Configuration of an index: its parameters and the indexer that builds it.

    Subclasses set ``indexer_class`` and take their parameters as typed ``__init__`` arguments, so that
    jsonargparse can build them from YAML.
    """

    indexer_class: ClassVar[type[Indexer]]

    def to_dict(self) -> dict[str, Any]:
        """Returns the parameters (stored in the index's ``config.json``)."""
        return {"class": type(self).__name__, **vars(self)}

    def __repr__(self) -> str:
        params = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]
