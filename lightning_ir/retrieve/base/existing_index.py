"""The index an indexer in ``mode="add"`` adds a shard to: checks that it fits, and reads its doc ids and files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .format import CONFIG_FILE, IndexMetadata, iter_doc_ids, read_metadata
from .model_config import ScoringSettings
from .model_identity import ModelIdentity, ModelMismatchError

if TYPE_CHECKING:
    from .index_config import IndexConfig


class ExistingIndex:
    """An index that documents are added to.

    Args:
        index_dir: The index folder.
        metadata: Its ``config.json``.
    """

    def __init__(self, index_dir: Path, metadata: IndexMetadata) -> None:
        self.index_dir = index_dir
        self.metadata = metadata
        self.config_bytes = (index_dir / CONFIG_FILE).read_bytes()

    @classmethod
    def open(cls, index_dir: Path) -> ExistingIndex | None:
        """The index at ``index_dir``, or None when there is none yet (a missing or empty folder)."""
        if not index_dir.exists() or (index_dir.is_dir() and not any(index_dir.iterdir())):
            return None
        return cls(index_dir, read_metadata(index_dir))

    def check_compatible(
        self,
        index_type: str,
        scoring: ScoringSettings,
        index_config: IndexConfig,
        model_identity: ModelIdentity | None,
    ) -> None:
        """Refuses to add documents that would not be scored like the index's own.

        Raises:
            ValueError: Another index type, scoring settings or index configuration.
            ModelMismatchError: The documents come from a model with other weights than the index's.
        """
        metadata, where = self.metadata, f"the index at {self.index_dir}"
        if metadata.index_type != index_type:
            raise ValueError(f"cannot add {index_type!r} documents to {where}: it is a {metadata.index_type!r} index")
        if metadata.scoring.to_dict() != scoring.to_dict():
            raise ValueError(
                f"cannot add to {where}: it was built with the scoring settings {metadata.scoring.to_dict()}, the "
                f"new documents have {scoring.to_dict()}"
            )
        wanted = index_config.to_dict()
        stored = {**type(index_config)().to_dict(), **metadata.index_config}  # options added since: their defaults
        if stored != wanted:
            raise ValueError(
                f"cannot add to {where}: it was built with the index config {stored}, not {wanted}; add with the "
                "index's own config"
            )
        built = metadata.model_identity
        if built is not None and model_identity is not None and built.fingerprint != model_identity.fingerprint:
            raise ModelMismatchError(
                f"cannot add to {where}: it was built with the model {built.name_or_path or '(unnamed)'} (weights "
                f"fingerprint {built.fingerprint[:12]}), the new documents come from "
                f"{model_identity.name_or_path or '(unnamed)'} (fingerprint {model_identity.fingerprint[:12]})"
            )

    def doc_ids(self) -> Iterator[str]:
        """Yields the ids of every document in the index, shard by shard."""
        for shard in self.metadata.shards:
            yield from iter_doc_ids(shard.folder(self.index_dir))

    def unchanged(self) -> bool:
        """Whether the index's ``config.json`` is still the one read when adding started."""
        try:
            return (self.index_dir / CONFIG_FILE).read_bytes() == self.config_bytes
        except OSError:
            return False
