"""MS MARCO distillation training sets registered as ir_datasets ids, as the original Lightning IR registered them.

The original library (webis-de/lightning-ir, releases 0.0.1 and 0.0.2, the era of the guide) made four training sets
available under ids of their own; recipes written for it name them, so they resolve here to the same files:

- ``msmarco-passage/train/kd-docpairs``: docpairs with the scores of a BERT-cat ensemble (Hofstätter et al.,
  2020), a TSV file ``pos_score neg_score query_id pos_doc_id neg_doc_id``;
- ``msmarco-passage/train/colbert-docpairs``: the ColBERTv2 64-way training examples with teacher scores, JSON lines
  ``[query_id, [doc_id, score], ...]`` (the first document is the positive one);
- ``msmarco-passage/train/rank-distillm/rankzephyr``: scoreddocs, a TREC run of ColBERTv2 candidates re-ranked by
  RankZephyr (Rank-DistiLLM);
- ``msmarco-passage/train/rank-distillm/set-encoder``: scoreddocs, a gzipped TREC run of ColBERTv2 candidates
  re-ranked by a Set-Encoder (Rank-DistiLLM).

Each takes its documents, queries and qrels from ``msmarco-passage/train``. The ids are registered on demand, when
:func:`lightning_ir.data.ir_datasets_utils.dataset_ref` (used by every dataset class) resolves one of them, or all
at once by :func:`register_training_datasets` (e.g. before calling ``ir_datasets.load`` directly); nothing is
registered or downloaded when :mod:`lightning_ir` is imported.

A file is downloaded on first use, checked against its MD5 sum, decompressed and kept under ``IR_DATASETS_HOME``
at the place the original library kept it (so that existing downloads are reused). To use a copy you already have,
put it (as downloaded, e.g. still gzipped) at ``IR_DATASETS_HOME/downloads/<md5>``, as for ir_datasets' own files.
Lines are validated as they are read; a malformed line raises an error naming the file and the line.

This module imports ir_datasets: it is imported on first use, never by ``import lightning_ir``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import ir_datasets
from ir_datasets.formats import BaseDocPairs, BaseScoredDocs, GenericScoredDoc
from ir_datasets.util import Cache, Download, GzipExtract, LocalDownload, RequestsDownload

from ..options import TrainingEntity, TrainingFileFormat
from .local_formats import LocalDocTuple
from .run_file import read_run
from .validation import check_id, iter_columns, iter_lines, line_error, parse_id, parse_number, show

KD_LAYOUT = "pos_score neg_score query_id pos_doc_id neg_doc_id"
COLBERT_LAYOUT = "[query_id, [doc_id, score], ...] or [query_id, doc_id, ...]"


@dataclass(frozen=True)
class TrainingDatasetSource:
    """Where a registered training set comes from and how its file is read.

    Attributes:
        dataset_id: The ir_datasets id it is registered under.
        url: The download address.
        expected_md5: MD5 sum of the file as downloaded (before decompression).
        file_format: ``"kd-tsv"`` and ``"colbert-json"`` provide docpairs, ``"trec-run"`` scoreddocs.
        cache_path: Where the (decompressed) file is kept, relative to ``IR_DATASETS_HOME``.
        gzipped: Whether the download is gzip-compressed.
        fallback_urls: Later addresses of the same file (same MD5 sum), tried in order when ``url`` fails.
        base_id: The ir_datasets id providing documents, queries and qrels.
    """

    dataset_id: str
    url: str
    expected_md5: str
    file_format: TrainingFileFormat
    cache_path: str
    gzipped: bool = False
    fallback_urls: tuple[str, ...] = ()
    base_id: str = "msmarco-passage/train"

    def __post_init__(self) -> None:
        if self.file_format not in get_args(TrainingFileFormat):
            raise ValueError(f"{self.dataset_id}: file_format must be one of {get_args(TrainingFileFormat)}")

    @property
    def entity(self) -> TrainingEntity:
        """The ir_datasets entity the file provides."""
        return "scoreddocs" if self.file_format == "trec-run" else "docpairs"


_ZENODO_RANK_DISTILLM = "https://zenodo.org/records/{record}/files/{name}?download=1"
_RANKZEPHYR = "__rankzephyr-colbert-10000-sampled-100__msmarco-passage-train-judged.run"
_SET_ENCODER = "__set-encoder-colbert__msmarco-passage-train-judged.run.gz"
# The original kept decompressed files under <home>/msmarco-passage/train/train/ (the split named twice); the same
# places are used so that files it downloaded are found.
_CACHE = "msmarco-passage/train/train"

TRAINING_DATASETS: dict[str, TrainingDatasetSource] = {
    source.dataset_id: source
    for source in (
        TrainingDatasetSource(
            dataset_id="msmarco-passage/train/kd-docpairs",
            url="https://zenodo.org/record/4068216/files/bert_cat_ensemble_msmarcopassage_train_scores_ids.tsv?download=1",
            expected_md5="4d99696386f96a7f1631076bcc53ac3c",
            file_format="kd-tsv",
            cache_path=f"{_CACHE}/kd-docpairs.tsv",
        ),
        TrainingDatasetSource(
            dataset_id="msmarco-passage/train/colbert-docpairs",
            url="https://huggingface.co/colbert-ir/colbertv2.0_msmarco_64way/resolve/main/examples.json?download=true",
            expected_md5="8be0c71e330ac54dcd77fba058d291c7",
            file_format="colbert-json",
            cache_path=f"{_CACHE}/colbert-docpairs.json",
        ),
        TrainingDatasetSource(
            dataset_id="msmarco-passage/train/rank-distillm/rankzephyr",
            url=_ZENODO_RANK_DISTILLM.format(record=12528410, name=_RANKZEPHYR),
            expected_md5="49f8dbf2c1ee7a2ca1fe517eda528af6",
            file_format="trec-run",
            cache_path=f"{_CACHE}/rank-distillm/rankzephyr.run",
            fallback_urls=tuple(_ZENODO_RANK_DISTILLM.format(record=r, name=_RANKZEPHYR) for r in (15131907, 15753974)),
        ),
        TrainingDatasetSource(
            dataset_id="msmarco-passage/train/rank-distillm/set-encoder",
            url=_ZENODO_RANK_DISTILLM.format(record=12528410, name=_SET_ENCODER),
            expected_md5="1f069d0daa9842a54a858cc660149e1a",
            file_format="trec-run",
            cache_path=f"{_CACHE}/rank-distillm/set-encoder.run",
            gzipped=True,
            fallback_urls=tuple(
                _ZENODO_RANK_DISTILLM.format(record=r, name=_SET_ENCODER) for r in (15131907, 15753974)
            ),
        ),
    )
}
_REGISTERED: set[str] = set()


def read_kd_docpairs(path: Path) -> Iterator[LocalDocTuple]:
    """Reads teacher-scored pairs, one per line: ``pos_score neg_score query_id pos_doc_id neg_doc_id``.

    Columns are separated by tabs (any whitespace is accepted). The tuple's documents are ``(pos, neg)`` with the
    scores in the same order.

    Raises:
        ValueError: A line without 5 columns, a score that is not a finite number or an unusable id.
    """
    for line_no, columns in iter_columns(path, (5,), KD_LAYOUT, sep=None):
        scores = (
            parse_number(columns[0], path, line_no, "pos_score"),
            parse_number(columns[1], path, line_no, "neg_score"),
        )
        query_id = check_id(columns[2], path, line_no, "query_id")
        doc_ids = (check_id(columns[3], path, line_no, "pos_doc_id"), check_id(columns[4], path, line_no, "neg_doc_id"))
        yield LocalDocTuple(query_id, doc_ids, scores)


def read_colbert_docpairs(path: Path) -> Iterator[LocalDocTuple]:
    """Reads ColBERT training examples, one JSON list per line: ``[query_id, [doc_id, score], ...]``.

    The first document is the positive one. Lines without scores (``[query_id, doc_id, ...]``) give tuples without
    scores. Ids are JSON integers or strings.

    Raises:
        ValueError: A line that is not such a list, mixes both forms, or holds a non-finite score or unusable id.
    """
    for line_no, line in iter_lines(path):
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise line_error(path, line_no, f"is not valid JSON ({error.msg}), expected {COLBERT_LAYOUT}") from None
        if not isinstance(item, list) or len(item) < 2:
            raise line_error(path, line_no, f"is {show(item)}, expected {COLBERT_LAYOUT}")
        query_id = parse_id(item[0], path, line_no, "query_id")
        entries = item[1:]
        if not any(isinstance(entry, list) for entry in entries):
            doc_ids = tuple(parse_id(entry, path, line_no, f"doc_id {i}") for i, entry in enumerate(entries, 1))
            yield LocalDocTuple(query_id, doc_ids)
            continue
        bad = next((i for i, entry in enumerate(entries, 1) if not isinstance(entry, list) or len(entry) != 2), None)
        if bad is not None:
            raise line_error(path, line_no, f"entry {bad} is {show(entries[bad - 1])}, expected [doc_id, score]")
        doc_ids = tuple(parse_id(doc_id, path, line_no, f"doc_id {i}") for i, (doc_id, _) in enumerate(entries, 1))
        scores = tuple(parse_number(score, path, line_no, f"score {i}") for i, (_, score) in enumerate(entries, 1))
        yield LocalDocTuple(query_id, doc_ids, scores)


class RemoteFile:
    """A downloaded file kept under ``IR_DATASETS_HOME``, fetched, checked and decompressed on first use.

    The download is streamed through an MD5 check (and gunzip) into a temporary file that is renamed into place only
    when complete, so an interrupted or corrupted download leaves nothing behind.

    Args:
        source: What to download and where to keep it.
        mirror: An ir_datasets download (anything with a ``stream()`` context) used instead of the source's URLs,
            e.g. ``LocalDownload(path)`` for a local copy.
        home: The folder the cache path is relative to (``IR_DATASETS_HOME`` by default, looked up on first use).
    """

    def __init__(self, source: TrainingDatasetSource, mirror: Any = None, home: Path | None = None) -> None:
        self.source = source
        self._mirror = mirror
        self._home = home

    def path(self, force: bool = True) -> Path:
        """The local file; downloaded first when ``force`` and it is not there yet.

        Raises:
            RuntimeError: Every address failed (the message lists the errors).
        """
        home = self._home if self._home is not None else Path(ir_datasets.util.home_path())
        target = home / self.source.cache_path
        if force and not target.exists():
            self._download(home, target)
        return target

    def _download(self, home: Path, target: Path) -> None:
        errors = []
        for mirror in self._mirrors(home):
            streamer: Any = Download([mirror], expected_md5=self.source.expected_md5, stream=True)
            if self.source.gzipped:
                streamer = GzipExtract(streamer)
            try:
                Cache(streamer, target).verify()
            except Exception as error:  # every address is tried; all the errors are reported below
                errors.append(f"{_describe(mirror)}: {error!r}")
            else:
                return
        raise RuntimeError(f"could not download '{self.source.dataset_id}' to {target}: {'; '.join(errors)}")

    def _mirrors(self, home: Path) -> list[Any]:
        if self._mirror is not None:
            return [self._mirror]
        local = home / "downloads" / self.source.expected_md5
        if local.is_file():
            return [LocalDownload(local, mkdir=False)]
        return [RequestsDownload(url) for url in (self.source.url, *self.source.fallback_urls)]


def _describe(mirror: Any) -> str:
    """Names a download source in error messages: its URL or local path."""
    if hasattr(mirror, "url"):
        return str(mirror.url)
    return str(mirror.path(force=False)) if hasattr(mirror, "path") else repr(mirror)


class RemoteDocPairs(BaseDocPairs):
    """Training tuples (:class:`LocalDocTuple`, with teacher scores) read from a :class:`RemoteFile`."""

    def __init__(self, file: RemoteFile) -> None:
        self._file = file

    def docpairs_iter(self) -> Iterator[LocalDocTuple]:
        """Yields the tuples of the file (downloading it first if needed)."""
        path = self._file.path()
        if self._file.source.file_format == "kd-tsv":
            return read_kd_docpairs(path)
        return read_colbert_docpairs(path)

    def docpairs_cls(self) -> type:
        """The tuple type, :class:`LocalDocTuple` (``query_id``, ``doc_ids``, ``scores``)."""
        return LocalDocTuple

    def docpairs_path(self, force: bool = True) -> str:
        """The local file (downloaded first when ``force``)."""
        return str(self._file.path(force))


class RemoteScoredDocs(BaseScoredDocs):
    """A run (scoreddocs) read from a TREC run :class:`RemoteFile`; lines are validated by :func:`read_run`."""

    def __init__(self, file: RemoteFile) -> None:
        self._file = file

    def scoreddocs_iter(self) -> Iterator[GenericScoredDoc]:
        """Yields ``(query_id, doc_id, score)`` per line of the run (downloading it first if needed)."""
        return (GenericScoredDoc(e.query_id, e.doc_id, e.score) for e in read_run(self._file.path()))

    def scoreddocs_cls(self) -> type:
        """The entry type, ir_datasets' ``GenericScoredDoc``."""
        return GenericScoredDoc

    def scoreddocs_path(self, force: bool = True) -> str:
        """The local file (downloaded first when ``force``)."""
        return str(self._file.path(force))


def build_training_dataset(
    source: TrainingDatasetSource, base: Any = None, mirror: Any = None, home: Path | None = None
) -> Any:
    """Builds the ir_datasets ``Dataset`` of a training set (nothing is read or downloaded here).

    Args:
        source: The training set.
        base: The ir_datasets ``Dataset`` providing documents, queries and qrels (``source.base_id`` by default).
        mirror: See :class:`RemoteFile`.
        home: See :class:`RemoteFile`.
    """
    if base is None:
        base = ir_datasets.load(source.base_id)
    file = RemoteFile(source, mirror, home)
    component = RemoteScoredDocs(file) if source.entity == "scoreddocs" else RemoteDocPairs(file)
    handlers = [getattr(base, f"{entity}_handler")() for entity in ("docs", "queries", "qrels") if base.has(entity)]
    return ir_datasets.Dataset(*handlers, component)


def register_training_dataset(dataset_id: str) -> bool:
    """Registers ``dataset_id`` with ir_datasets if it is one of :data:`TRAINING_DATASETS` (once).

    An id that ir_datasets already knows (registered by other code) is left as it is.

    Returns:
        Whether ``dataset_id`` is one of the training sets.
    """
    source = TRAINING_DATASETS.get(dataset_id)
    if source is None:
        return False
    if dataset_id not in _REGISTERED:
        if dataset_id not in ir_datasets.registry:
            ir_datasets.registry.register(dataset_id, build_training_dataset(source))
        _REGISTERED.add(dataset_id)
    return True


def register_training_datasets() -> list[str]:
    """Registers all :data:`TRAINING_DATASETS` with ir_datasets (idempotent) and returns their ids."""
    for dataset_id in TRAINING_DATASETS:
        register_training_dataset(dataset_id)
    return list(TRAINING_DATASETS)
