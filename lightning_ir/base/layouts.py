"""Recognising a published checkpoint's family from the files it ships.

A checkpoint that was not saved by Lightning IR (a colbert-ir ColBERT, a naver SPLADE, a monoT5, a
sentence-transformers folder, ...) is recognised by its files, never by its name: each family registers a
:class:`CheckpointLayout` whose ``detect`` looks at the files (``config.json``'s architectures, the names of the weight
tensors, ``modules.json``, ...) and returns the Lightning IR config that reproduces the checkpoint, or None when the
files are not of that family. ``BiEncoderModule(name_or_path)`` / ``CrossEncoderModule(name_or_path)`` (through the
models' ``from_pretrained``) try the layouts of their kind in registration order; the first match wins. When a
config is given explicitly, nothing is detected: the given config decides.

The README's table of families is :func:`layout_table`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers.utils import cached_file

from ..options import ModelKind

if TYPE_CHECKING:
    from ..base.config import LightningIRConfig


class DamagedFileError(OSError, ValueError):
    """A checkpoint file that cannot be read (invalid JSON, ...).

    An ``OSError`` as Hugging Face reports a damaged config, and a ``ValueError`` as Lightning IR reports other
    damaged files.
    """


_WEIGHT_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class CheckpointFiles:
    """Read access to the files of a checkpoint: a local folder, or a hub id (files fetched into the HF cache).

    Attributes:
        name_or_path: The folder or hub id.
        hub_kwargs: ``revision``, ``cache_dir``, ``local_files_only``, ``token`` for hub ids.
    """

    name_or_path: str
    hub_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def file(self, name: str) -> Path | None:
        """The local path of the checkpoint's file ``name`` (``"1_Dense/config.json"``), or None if it has none."""
        local = Path(self.name_or_path) / name
        if Path(self.name_or_path).is_dir():
            return local if local.is_file() else None
        try:
            resolved = cached_file(
                self.name_or_path,
                name,
                _raise_exceptions_for_missing_entries=False,
                _raise_exceptions_for_connection_errors=False,
                **dict(self.hub_kwargs),
            )
        except OSError:
            return None
        return None if resolved is None else Path(resolved)

    def json(self, name: str) -> Any:
        """The parsed JSON file ``name``, or None if the checkpoint has no such file.

        Raises:
            DamagedFileError: If the file is not valid JSON (naming it).
        """
        path = self.file(name)
        if path is None:
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DamagedFileError(f"{path} is not valid JSON ({error})") from error

    @cached_property
    def config(self) -> dict[str, Any]:
        """``config.json`` as a dict (empty when there is none)."""
        loaded = self.json("config.json")
        return loaded if isinstance(loaded, dict) else {}

    @property
    def architectures(self) -> list[str]:
        """The ``architectures`` of ``config.json`` (e.g. ``["BertForMaskedLM"]``)."""
        return [str(name) for name in self.config.get("architectures") or []]

    @cached_property
    def modules(self) -> list[dict[str, Any]]:
        """The entries of a sentence-transformers ``modules.json`` (empty when there is none)."""
        loaded = self.json("modules.json")
        return [entry for entry in loaded if isinstance(entry, dict)] if isinstance(loaded, list) else []

    def modules_folder(self) -> Path | None:
        """A local folder with ``modules.json`` and every sentence-transformers module's files, or None without.

        For a hub id, the JSON files and the module folders are fetched into the Hugging Face cache (one snapshot
        folder), so that readers of ``1_Pooling/config.json``, ``2_Dense/`` or ``router_config.json`` find them.
        """
        modules_file = self.file("modules.json")
        if modules_file is None or Path(self.name_or_path).is_dir():
            return None if modules_file is None else modules_file.parent
        from huggingface_hub import snapshot_download

        folders = sorted({str(entry["path"]) for entry in self.modules if entry.get("path")})
        hub_kwargs = {key: value for key, value in self.hub_kwargs.items() if value is not None}
        patterns = ["*.json", *(f"{folder}/*" for folder in folders)]
        return Path(snapshot_download(self.name_or_path, allow_patterns=patterns, **hub_kwargs))

    @property
    def module_types(self) -> list[str]:
        """The class names of :attr:`modules` (``["Transformer", "Pooling", "Normalize"]``)."""
        return [str(entry.get("type", "")).rsplit(".", 1)[-1] for entry in self.modules]

    def tokenizer_subfolder(self) -> str:
        """The folder holding the tokenizer files, relative to the checkpoint (``""``: the checkpoint's own folder).

        A sentence-transformers folder whose transformer is saved in a module folder (a ``Router``'s routes, an
        older ``0_Transformer`` layout) has no tokenizer of its own: the first module folder with a
        ``tokenizer_config.json`` is taken, a transformer module's first. ``""`` when there is none.
        """
        if self.file("tokenizer_config.json") is not None:
            return ""
        folders: list[str] = []
        for entry in self.modules:
            path = str(entry.get("path", "")).strip("/")
            folders += [path] if path else []
            router = self.json(f"{path}/router_config.json" if path else "router_config.json")
            types = router.get("types") if isinstance(router, dict) else None
            if isinstance(types, dict):
                names = sorted(types, key=lambda name: not str(types[name]).endswith("Transformer"))
                folders += [f"{path}/{name}" if path else str(name) for name in names]
        return next((folder for folder in folders if self.file(f"{folder}/tokenizer_config.json")), "")

    def weight_names(self, prefix: str = "") -> frozenset[str]:
        """Names of the weight tensors stored in the folder ``prefix`` (root by default) without reading tensors.

        Reads the safetensors header, the shard index, or (for a ``.bin`` checkpoint) the state dict's keys.
        """
        for index_name in _WEIGHT_INDEXES:
            index = self.json(prefix + index_name)
            if isinstance(index, dict) and isinstance(index.get("weight_map"), dict):
                return frozenset(index["weight_map"])
        for weight_name in _WEIGHT_FILES:
            path = self.file(prefix + weight_name)
            if path is not None:
                return _tensor_names(path)
        return frozenset()


def _tensor_names(path: Path) -> frozenset[str]:
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), "pt") as weights:
            return frozenset(weights.keys())
    import torch

    state = torch.load(path, map_location="meta", weights_only=True)
    return frozenset(state) if isinstance(state, dict) else frozenset()


@dataclass(frozen=True)
class CheckpointLayout:
    """One family of published checkpoints and how its files are recognised.

    Attributes:
        family: The family as users know it (``"ColBERT (colbert-ir)"``).
        kind: Whether it loads as a bi-encoder or a cross-encoder.
        recognised_by: The files that identify it, in words (README table and error messages).
        reference: The implementation its scores are tested against (README table).
        detect: Returns the config that reproduces the checkpoint, or None when the files are not of this family.
    """

    family: str
    kind: ModelKind
    recognised_by: str
    reference: str
    detect: Callable[[CheckpointFiles], LightningIRConfig | None]


LAYOUTS: list[CheckpointLayout] = []
"""Registered layouts, tried in order (the more specific first)."""


def register_layout(layout: CheckpointLayout, before: str | None = None) -> None:
    """Add a layout (again: replaced in place), last or just before the family named ``before``."""
    existing = [index for index, known in enumerate(LAYOUTS) if known.family == layout.family]
    if existing:
        LAYOUTS[existing[0]] = layout
        return
    positions = [index for index, known in enumerate(LAYOUTS) if known.family == before]
    LAYOUTS.insert(positions[0] if positions else len(LAYOUTS), layout)


def detect_layout(files: CheckpointFiles, kind: ModelKind) -> tuple[CheckpointLayout, LightningIRConfig] | None:
    """The first layout of ``kind`` that recognises ``files``, with the config it builds; None if none does."""
    for layout in LAYOUTS:
        if layout.kind != kind:
            continue
        config = layout.detect(files)
        if config is not None:
            return layout, config
    return None


def describe_layouts(kind: ModelKind) -> str:
    """What the layouts of ``kind`` look for, for error messages (``"ColBERT (colbert-ir): ...; ..."``)."""
    return "; ".join(f"{layout.family}: {layout.recognised_by}" for layout in LAYOUTS if layout.kind == kind)


def layout_table() -> str:
    """The Markdown table of the registered families (family, model kind, recognised by, tested against)."""
    rows = ["| Family | Loads as | Recognised by | Scores tested against |", "|---|---|---|---|"]
    rows += [f"| {layout.family} | {layout.kind} | {layout.recognised_by} | {layout.reference} |" for layout in LAYOUTS]
    return "\n".join(rows)
