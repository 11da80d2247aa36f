"""Callbacks that connect the trainer's inference loop to the retrieval package: indexing, search, run files."""

from __future__ import annotations

from .index import IndexCallback
from .rank import RankCallback
from .re_rank import ReRankCallback
from .search import SearchCallback

__all__ = ["IndexCallback", "RankCallback", "ReRankCallback", "SearchCallback"]
