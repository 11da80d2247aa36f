"""The scoring settings an index takes from the bi-encoder configuration."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol, cast

from ...options import QueryAggregationFunction, SimilarityFunction
from ...validation import check_option


class ScoringModelConfig(Protocol):
    """What the retrieval package reads from a bi-encoder configuration (duck-typed).

    Any object with these attributes works, e.g. a ``BiEncoderConfig`` or a ``types.SimpleNamespace``. A
    ``to_dict()`` method, if present, is used to store the full configuration next to the index.
    """

    @property
    def model_type(self) -> str:
        """The configuration's ``model_type``."""

    @property
    def similarity_function(self) -> str:
        """How query and document vectors are compared (``"dot"`` or ``"cosine"``)."""

    @property
    def query_aggregation_function(self) -> str:
        """How the scores of a multi-vector query's vectors are combined into one score."""

    @property
    def embedding_dim(self) -> int | None:
        """The configured embedding size, or ``None`` for the backbone's hidden size."""


@dataclass(frozen=True)
class ScoringSettings:
    """Validated scoring settings of a bi-encoder, as stored in an index's ``config.json``.

    Attributes:
        model_type: The ``model_type`` of the configuration the index was built with.
        similarity_function: ``"dot"`` or ``"cosine"`` similarity between query and document vectors.
        query_aggregation_function: How per-query-token scores are combined (multi-vector models).
        embedding_dim: The configured embedding size, if any (the index stores the size of the data itself).
    """

    model_type: str
    similarity_function: SimilarityFunction
    query_aggregation_function: QueryAggregationFunction
    embedding_dim: int | None = None

    def __post_init__(self) -> None:
        check_option("ScoringSettings", "similarity_function", self.similarity_function, SimilarityFunction)
        check_option(
            "ScoringSettings", "query_aggregation_function", self.query_aggregation_function, QueryAggregationFunction
        )

    @classmethod
    def from_model_config(cls, model_config: ScoringModelConfig) -> ScoringSettings:
        """Reads and validates the scoring settings of a (duck-typed) bi-encoder configuration.

        Args:
            model_config: The bi-encoder configuration.

        Returns:
            The validated settings.

        Raises:
            ValueError: If an attribute is missing or holds an unknown option.
        """
        missing = [
            name
            for name in ("model_type", "similarity_function", "query_aggregation_function")
            if getattr(model_config, name, None) is None
        ]
        if missing:
            raise ValueError(f"model_config {type(model_config).__name__} lacks the attribute(s) {missing}")
        return cls(
            model_type=str(model_config.model_type),
            similarity_function=cast(SimilarityFunction, model_config.similarity_function),
            query_aggregation_function=cast(QueryAggregationFunction, model_config.query_aggregation_function),
            embedding_dim=getattr(model_config, "embedding_dim", None),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoringSettings:
        """Builds settings from the dictionary written by :meth:`to_dict`."""
        return cls(
            model_type=data["model_type"],
            similarity_function=data["similarity_function"],
            query_aggregation_function=data["query_aggregation_function"],
            embedding_dim=data.get("embedding_dim"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Returns the settings as a JSON-serialisable dictionary."""
        return asdict(self)


def model_config_to_dict(model_config: ScoringModelConfig) -> dict[str, Any] | None:
    """Returns ``model_config.to_dict()`` when the configuration offers it, else None."""
    to_dict = getattr(model_config, "to_dict", None)
    if not callable(to_dict):
        return None
    data = to_dict()
    return dict(data) if isinstance(data, dict) else None
