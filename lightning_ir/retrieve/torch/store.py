"""The stored vectors of a torch-dense index: held in memory, or read from disk block by block, decoded to float32."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ..base.format import EMBEDDINGS_FILE, IndexMetadata, check_finite, check_finite_file, load_doc_lengths, open_array
from ..base.npy_file import NpyReader
from ..base.precision import QUANTIZER_FILE, ScalarQuantizer, as_tensor, is_trained, storage_dtype
from ..base.scoring import doc_offsets
from .indexer import CODES_FILE

Block = tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]
"""``(first document, vectors (tokens, dim) float32, offsets (docs,), lengths (docs,))`` of a block of documents;
offsets are relative to the block's first vector."""


class DenseStore:
    """All shards' vectors of a ``torch-dense`` index, handed out as float32 blocks of whole documents.

    Args:
        index_dir: The index folder.
        metadata: Its ``config.json``.
        in_memory: Load every shard's stored vectors into one array (in their storage precision) instead of reading
            them from disk for every pass.
        device: Where blocks are handed out.

    Raises:
        FileNotFoundError: If a file is missing.
        IndexFormatError: If a file is corrupt, sizes do not match, or stored vectors are not finite.
    """

    def __init__(self, index_dir: Path, metadata: IndexMetadata, in_memory: bool, device: torch.device) -> None:
        self.precision = metadata.precision
        self.device = device
        dtype = storage_dtype(self.precision)
        file_name = CODES_FILE if is_trained(self.precision) else EMBEDDINGS_FILE
        self.quantizer = ScalarQuantizer.load(index_dir / QUANTIZER_FILE) if is_trained(self.precision) else None
        lengths, self.readers = [], []
        for shard in metadata.shards:
            folder = shard.folder(index_dir)
            lengths.append(load_doc_lengths(folder, shard.num_docs, shard.num_embeddings, metadata.multi_vector))
            self.readers.append(open_array(folder / file_name, (shard.num_embeddings, metadata.dim), dtype))
        self.shard_docs = [length.shape[0] for length in lengths]
        doc_lengths = torch.from_numpy(np.concatenate(lengths))
        self.doc_lengths = doc_lengths.to(device)
        self.doc_offsets = doc_offsets(self.doc_lengths)
        self.num_docs = int(doc_lengths.shape[0])
        self.max_doc_length = int(doc_lengths.max()) if self.num_docs else 0
        self.one_vector_per_doc = metadata.num_embeddings == self.num_docs and bool((doc_lengths == 1).all())
        self.stored: torch.Tensor | None = None
        if in_memory:
            self.stored = self._load(metadata.num_embeddings, metadata.dim, dtype)
        elif self.quantizer is None:
            for reader in self.readers:
                check_finite_file(reader)

    def _load(self, num_embeddings: int, dim: int, dtype: np.dtype) -> torch.Tensor:
        """Every shard's stored vectors, read into one array."""
        data = np.empty((num_embeddings, dim), dtype=dtype)
        position = 0
        for reader in self.readers:
            reader.read_all(out=data[position : position + reader.num_rows])
            if self.quantizer is None:
                check_finite(data[position : position + reader.num_rows], reader.path)
            position += reader.num_rows
        stored = as_tensor(data, self.precision)
        return stored if self.quantizer is not None else stored.to(self.device)

    def decode(self, stored: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Stored vectors as ``(n, dim)`` float32 on the store's device."""
        if self.quantizer is not None:
            codes = stored.numpy() if isinstance(stored, torch.Tensor) else stored
            return torch.from_numpy(self.quantizer.decode(codes)).to(self.device)
        if isinstance(stored, np.ndarray):
            stored = as_tensor(stored, self.precision)
        return stored.to(self.device, torch.float32)

    def blocks(self, docs_per_block: int) -> Iterator[Block]:
        """Yields the documents in index order, ``docs_per_block`` at a time, with their vectors decoded.

        From memory, blocks run across shards; from disk, a block ends where a shard ends and the next block is read
        while the current one is scored.
        """
        if self.stored is not None:
            yield from self._memory_blocks(docs_per_block)
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            first_doc = 0
            for reader, num_docs in zip(self.readers, self.shard_docs, strict=True):
                yield from self._disk_blocks(pool, reader, first_doc, num_docs, docs_per_block)
                first_doc += num_docs

    def _memory_blocks(self, docs_per_block: int) -> Iterator[Block]:
        assert self.stored is not None
        for start in range(0, self.num_docs, docs_per_block):
            stop = min(start + docs_per_block, self.num_docs)
            offsets, lengths = self.doc_offsets[start:stop], self.doc_lengths[start:stop]
            first, last = int(offsets[0]), int(offsets[-1] + lengths[-1])
            yield start, self.decode(self.stored[first:last]), offsets - first, lengths

    def _disk_blocks(
        self, pool: ThreadPoolExecutor, reader: NpyReader, first_doc: int, num_docs: int, docs_per_block: int
    ) -> Iterator[Block]:
        ranges = []
        for start in range(first_doc, first_doc + num_docs, docs_per_block):
            stop = min(start + docs_per_block, first_doc + num_docs)
            offsets, lengths = self.doc_offsets[start:stop], self.doc_lengths[start:stop]
            ranges.append((start, offsets, lengths, int(offsets[0]), int(offsets[-1] + lengths[-1])))
        if not ranges:
            return
        shard_start = ranges[0][3]
        largest = max(last - first for _, _, _, first, last in ranges)
        buffers = [np.empty((largest, *reader.shape[1:]), dtype=reader.dtype) for _ in range(2)]

        def read(index: int) -> np.ndarray:
            _, _, _, first, last = ranges[index]
            return reader.read(first - shard_start, last - shard_start, out=buffers[index % 2])

        pending: Future[np.ndarray] = pool.submit(read, 0)
        for index, (start, offsets, lengths, first, _) in enumerate(ranges):
            stored = pending.result()
            if index + 1 < len(ranges):
                pending = pool.submit(read, index + 1)
            yield start, self.decode(stored), offsets - first, lengths  # its buffer is refilled after the next block
