"""Base class of index configurations."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .retrieve_config import RetrieveConfig

if TYPE_CHECKING:
    from .indexer import Indexer


class IndexConfig(RetrieveConfig):
    """Configuration of an index: its parameters and the indexer that builds it.

    Subclasses are dataclasses that set ``indexer_class`` and take their parameters as typed fields with defaults,
    checked in ``__post_init__``; :meth:`to_dict` gives what the indexer stores in the index's ``config.json``.
    """

    indexer_class: ClassVar[type[Indexer]]
