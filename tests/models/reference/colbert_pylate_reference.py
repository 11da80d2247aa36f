"""Build the tiny ColBERT checkpoints of ``tests/models/test_col_layouts.py`` and record their reference scores.

Neither reference installs beside transformers 5 / torch 2.13 in the project's environment, so this script runs
them in throw-away virtual environments and writes what they compute to ``colbert_reference_scores.json``, which
the test compares Lightning IR's scores against. Rerun it when the layouts, the texts, the variants or the
references change (then commit the folders and the JSON file it rewrites)::

    python3 -m venv /tmp/colbert-env
    /tmp/colbert-env/bin/pip install torch==2.13.0 colbert-ai==0.2.22 "transformers<5"
    python3 -m venv /tmp/pylate-env
    /tmp/pylate-env/bin/pip install torch==2.13.0
    /tmp/pylate-env/bin/pip install --no-deps pylate==1.6.0
    /tmp/pylate-env/bin/pip install sentence-transformers==5.3.0 transformers==5.3.0 datasets accelerate pandas \
        ujson scipy
    /tmp/colbert-env/bin/python tests/models/reference/colbert_pylate_reference.py colbert-ai
    /tmp/pylate-env/bin/python tests/models/reference/colbert_pylate_reference.py pylate

(PyLate pins ``fast-plaid``/``fastkmeans`` builds for other torch versions; they serve its indexes only, so PyLate is
installed without them: ``pylate.models`` and ``pylate.scores`` do not import them.)

``colbert-ai`` writes ``colbert/colbert-ir`` with its own ``BaseColBERT.save`` (``HF_ColBERT.save_pretrained``, the
tokenizer, ``artifact.metadata``) from a tiny seeded BERT, and scores with ``Checkpoint.queryFromText``,
``Checkpoint.doc`` and ``colbert_score`` (what its re-ranking uses). ``pylate`` writes ``colbert/pylate`` with
``pylate.models.ColBERT(...).save`` from the same BERT, and scores with ``ColBERT.encode`` and
``pylate.scores.colbert_scores`` (each document on its own, so no padding vector takes part in MaxSim); it also scores
the colbert-ir folder, which PyLate loads as a Stanford checkpoint.

Variants are copies of a folder with settings changed in the family's own config file (:data:`VARIANTS`); the test
makes the same copies with :func:`make_variant`. The tiny BERT has a 16-dimensional hidden state, a vocabulary of
the words below plus single letters and digits (WordPiece splits other words into letters), and projects to 8
dimensions, so each committed folder stays under 50 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import string
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FOLDERS = HERE / "colbert"
SCORES_FILE = HERE / "colbert_reference_scores.json"

QUERIES = [
    "what do cats eat",
    "the tallest mountain on earth, and who climbed it first? the mountain is in nepal and the climb is long",
]
DOCS = [
    "Cats are carnivores; they eat meat, fish and mice.",
    "The stock market fell today.",
    "Mount Everest, the tallest mountain on earth, was first climbed in 1953 by Hillary and Norgay.",
    "",
    "cats cats cats!!! ... ???",
    "a long document about the mountain and the climb and the earth and cats and fish and meat, on and on and on",
]

WORDS = [
    "what",
    "do",
    "cats",
    "eat",
    "the",
    "tallest",
    "mountain",
    "on",
    "earth",
    "and",
    "who",
    "climbed",
    "it",
    "first",
    "is",
    "in",
    "nepal",
    "climb",
    "long",
    "are",
    "they",
    "meat",
    "fish",
    "mice",
    "stock",
    "market",
    "fell",
    "today",
    "mount",
    "was",
    "by",
    "a",
    "document",
    "about",
    "of",
]

VARIANTS: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
    "colbert-ir": {
        "default": ("artifact.metadata", {}),
        "attend": ("artifact.metadata", {"attend_to_mask_tokens": True}),
    },
    "pylate": {
        "default": ("config_sentence_transformers.json", {}),
        "attend": ("config_sentence_transformers.json", {"attend_to_expansion_tokens": True}),
        "no-expansion-skiplist": (
            "config_sentence_transformers.json",
            {"do_query_expansion": False, "skiplist_words": ["the", "and", ",", "."], "query_length": 12},
        ),
    },
}
"""Per folder: variant name -> (the config file changed, the values set in it)."""


def make_variant(folder: Path, variant: tuple[str, dict[str, Any]], target: Path) -> Path:
    """Copy ``folder`` to ``target`` with ``variant``'s values set in its config file."""
    shutil.copytree(folder, target)
    file_name, values = variant
    if values:
        path = target / file_name
        config = json.loads(path.read_text())
        config.update(values)
        path.write_text(json.dumps(config, indent=2) + "\n")
    return target


def _build_base(directory: Path) -> Path:
    """A tiny seeded BERT (``transformers`` ``save_pretrained``) with a small WordPiece vocabulary."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    special = ["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = list(string.ascii_lowercase)
    vocab = special + list(string.punctuation) + list(string.digits) + letters + [f"##{c}" for c in letters] + WORDS
    vocab += [f"##{d}" for d in string.digits]
    (directory / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(directory)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    model = BertModel(config)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            noise = torch.randn(parameter.shape, generator=generator)
            if name.endswith("LayerNorm.weight"):
                parameter.copy_(1.0 + 0.1 * noise)
            else:
                parameter.copy_(noise * (0.1 if name.endswith("bias") else 0.5))
    model.save_pretrained(directory)
    return directory


def _write_scores(section: str, entries: dict[str, Any]) -> None:
    data = json.loads(SCORES_FILE.read_text()) if SCORES_FILE.exists() else {}
    data.update({"queries": QUERIES, "docs": DOCS})
    data[section] = entries
    SCORES_FILE.write_text(json.dumps(data, indent=2) + "\n")


def _colbert_ai(work: Path) -> None:
    """Write the colbert-ir folder with colbert-ai and score every colbert-ir variant with colbert-ai."""
    import colbert
    import torch
    from colbert.infra import ColBERTConfig
    from colbert.modeling.base_colbert import BaseColBERT
    from colbert.modeling.checkpoint import Checkpoint
    from colbert.modeling.colbert import colbert_score

    base = _build_base(work / "base")
    folder = FOLDERS / "colbert-ir"
    if folder.exists():
        shutil.rmtree(folder)
    torch.manual_seed(0)
    model = BaseColBERT(str(base), colbert_config=ColBERTConfig(dim=8, query_maxlen=16, doc_maxlen=24))
    with torch.no_grad():  # spread the projection (colbert-ai initialises it with std 0.02)
        model.linear.weight.normal_(0.0, 0.5, generator=torch.Generator().manual_seed(1))
    model.save(str(folder))
    entries: dict[str, Any] = {}
    for name, variant in VARIANTS["colbert-ir"].items():
        path = make_variant(folder, variant, work / f"colbert-ir-{name}")
        checkpoint = Checkpoint(str(path), colbert_config=ColBERTConfig(), verbose=0)
        queries = checkpoint.queryFromText(QUERIES)
        ids, mask = checkpoint.doc_tokenizer.tensorize(DOCS)
        docs, docs_mask = checkpoint.doc(ids, mask, keep_dims="return_mask")
        scores = [colbert_score(query[None], docs, docs_mask, config=checkpoint.colbert_config) for query in queries]
        entries[name] = torch.stack(scores).tolist()
    version = getattr(colbert, "__version__", None) or _distribution_version("colbert-ai")
    _write_scores("colbert-ai", {"reference": f"colbert-ai {version}", "scores": entries})


def _pylate(work: Path) -> None:
    """Write the PyLate folder with PyLate and score every PyLate and colbert-ir variant with PyLate."""
    import pylate
    import torch
    from pylate import models
    from pylate.scores import colbert_scores

    base = work / "base"  # the colbert-ai step's (transformers 4 reads a vocab.txt into a fast tokenizer)
    folder = FOLDERS / "pylate"
    if folder.exists():
        shutil.rmtree(folder)
    torch.manual_seed(0)
    model = models.ColBERT(str(base), device="cpu", embedding_size=8, query_length=16, document_length=24)
    model.save(str(folder))
    entries: dict[str, Any] = {}
    for family in ("pylate", "colbert-ir"):
        for name, variant in VARIANTS[family].items():
            path = make_variant(FOLDERS / family, variant, work / f"pylate-{family}-{name}")
            reference = models.ColBERT(str(path), device="cpu")
            queries = reference.encode(QUERIES, is_query=True, convert_to_tensor=True)
            docs = reference.encode(DOCS, is_query=False, convert_to_tensor=True)
            scores = [[float(colbert_scores(q[None], d[None])[0, 0]) for d in docs] for q in queries]
            entries[f"{family}/{name}"] = scores
    _write_scores("pylate", {"reference": f"pylate {pylate.__version__}", "scores": entries})


def _distribution_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def main(argv: list[str]) -> None:
    """Run one reference: ``colbert-ai`` or ``pylate`` (see the module docstring for the environments)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference", choices=["colbert-ai", "pylate"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/colbert-reference-work"))
    args = parser.parse_args(argv)
    if args.reference == "colbert-ai":
        if args.work.exists():
            shutil.rmtree(args.work)
        args.work.mkdir(parents=True)
    elif not (args.work / "base").is_dir():
        parser.error(f"{args.work / 'base'} does not exist: run the colbert-ai step first")
    os.chdir(args.work)  # colbert-ai's run context names an experiments folder under the working directory
    (_colbert_ai if args.reference == "colbert-ai" else _pylate)(args.work)


if __name__ == "__main__":
    main(sys.argv[1:])
