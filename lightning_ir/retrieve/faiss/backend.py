"""Lazy import of the optional faiss backend."""

from __future__ import annotations

from types import ModuleType


def import_faiss() -> ModuleType:
    """Imports faiss, or raises an ImportError that says how to install it."""
    try:
        import faiss
    except ImportError as error:
        raise ImportError(
            "faiss indexes need the faiss package: pip install 'lightning-ir[faiss]' (or faiss-gpu for GPUs)"
        ) from error
    return faiss
