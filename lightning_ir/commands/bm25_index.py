"""``lightning-ir bm25_index``: build a BM25 index of a collection (bm25s).

::

    lightning-ir bm25_index --doc_dataset beir/scifact --index_dir indexes/beir-scifact/bm25
    lightning-ir bm25_index --config configs/bm25-index-scifact.yaml
    lightning-ir bm25_index --doc_dataset my-docs/ --index_dir indexes/mine --index_config.stemmer english

Options are those of :func:`bm25_index`; ``--config`` takes them from a YAML file, ``--print_config`` shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..retrieve.bm25 import BM25IndexConfig, BM25Indexer


def bm25_index(
    index_dir: str,
    doc_dataset: str,
    index_config: BM25IndexConfig | None = None,
    num_docs: int | None = None,
    text_fields: Sequence[str] | None = None,
) -> Path:
    """Indexes the documents of ``doc_dataset`` with BM25 and writes the index to ``index_dir``.

    Args:
        index_dir: The index directory (an existing one is replaced only when it is a Lightning IR index or empty).
        doc_dataset: An ir_datasets id (``beir/scifact``), a registered local collection or a collection folder.
        index_config: BM25 parameters and tokenisation (default: ``BM25IndexConfig()``, bm25s' defaults).
        num_docs: Index only the first ``num_docs`` documents.
        text_fields: Document fields joined to form the text (default: title and text).

    Returns:
        The index directory.
    """
    from ..data.doc_dataset import DocDataset

    indexer = BM25Indexer(index_dir, index_config)
    return indexer.index(DocDataset(doc_dataset, num_docs=num_docs, text_fields=text_fields))


def main(args: list[str]) -> None:
    """Runs ``lightning-ir bm25_index`` with the arguments that follow the subcommand."""
    from jsonargparse import CLI

    index_dir = CLI(bm25_index, args=args, as_positional=False, prog="lightning-ir bm25_index")
    print(f"BM25 index written to {index_dir}")
