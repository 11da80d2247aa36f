"""Callbacks that connect the trainer's inference loop to the retrieval package: indexing, search, run files."""

from __future__ import annotations

from .index_callback import IndexCallback
from .rank_callback import RankCallback
from .re_rank_callback import ReRankCallback
from .search_callback import SearchCallback

__all__ = ["IndexCallback", "RankCallback", "ReRankCallback", "SearchCallback"]
