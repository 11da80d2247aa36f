"""The common base of index and search configurations."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any


class RetrieveConfig:
    """Base class of the index and search configurations.

    Its subclasses are :class:`~lightning_ir.retrieve.base.index_config.IndexConfig` and
    :class:`~lightning_ir.retrieve.base.search_config.SearchConfig`.

    The configurations are dataclasses: typed fields with defaults (so jsonargparse builds them from YAML), checked in
    ``__post_init__``, with the generated ``__repr__`` and ``__eq__``. They stay mutable: a changed value (say ``k``)
    is checked again where it is used. This base class is deliberately not a dataclass: jsonargparse accepts
    subclasses (``class_path: lightning_ir.retrieve.FaissIVFIndexConfig``) only of a class whose hierarchy is not
    made of dataclasses alone.
    """

    def to_dict(self) -> dict[str, Any]:
        """Returns the class name and the parameters, in declaration order."""
        parameters: dict[str, Any] = {}
        if is_dataclass(self):
            parameters = {field.name: getattr(self, field.name) for field in fields(self)}
        return {"class": type(self).__name__, **parameters}
