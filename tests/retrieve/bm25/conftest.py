"""Fixtures for the BM25 tests: the small local collection and its BM25 index."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightning_ir.retrieve.bm25 import BM25IndexConfig, BM25Indexer
from tests.fixtures import write_collection


@pytest.fixture(scope="package")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 queries, 16 documents and qrels (see tests/fixtures.py)."""
    return write_collection(tmp_path_factory.mktemp("bm25") / "collection")


@pytest.fixture(scope="package")
def bm25_index(tmp_path_factory: pytest.TempPathFactory, collection: Path) -> Path:
    """A BM25 index (English stemming) of the collection; read-only for the tests."""
    index_dir = tmp_path_factory.mktemp("bm25-index") / "index"
    return BM25Indexer(index_dir, BM25IndexConfig(stemmer="english")).index(str(collection))


def read_texts(path: Path) -> tuple[list[str], list[str]]:
    """Ids and texts of a two-column TSV file."""
    rows = [line.split("\t", 1) for line in path.read_text().splitlines()]
    return [row[0] for row in rows], [row[1] for row in rows]
