"""Running ``lightning-ir index`` then ``lightning-ir search`` on a tiny model and the tiny local collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lightning_ir.cli import LightningIRCLI


def index_and_search(
    root: Path, model_dir: Path, collection: Path, index_config: dict[str, Any], search_config: dict[str, Any]
) -> dict[str, list[tuple[str, float]]]:
    """Index ``collection`` with ``model_dir`` and search it through the CLI (run from ``root``).

    Args:
        root: The working directory (the index goes to ``root/index``, the run to ``root/runs``).
        model_dir: The model given to ``BiEncoderModule(model_name_or_path=...)``.
        collection: A collection folder written by :func:`tests.fixtures.write_collection`.
        index_config: The ``index_config`` entry of the ``IndexCallback`` (``class_path`` and ``init_args``).
        search_config: The ``search_config`` entry of the ``SearchCallback``.

    Returns:
        The run: each query's ``(doc_id, score)`` pairs, best first.
    """
    model = {"class_path": "lightning_ir.BiEncoderModule", "init_args": {"model_name_or_path": str(model_dir)}}
    steps = (
        ("index", "IndexCallback", {"index_dir": "index", "index_config": index_config}, "DocDataset", "doc_dataset"),
        (
            "search",
            "SearchCallback",
            {"index_dir": "index", "search_config": search_config, "save_dir": "runs"},
            "QueryDataset",
            "query_dataset",
        ),
    )
    for subcommand, callback, callback_args, dataset, dataset_arg in steps:
        recipe = {
            "trainer": {
                "logger": False,
                "enable_progress_bar": False,
                "callbacks": [{"class_path": f"lightning_ir.callbacks.{callback}", "init_args": callback_args}],
            },
            "model": model,
            "data": {
                "class_path": "lightning_ir.data.LightningIRDataModule",
                "init_args": {
                    "inference_batch_size": 4,
                    "inference_datasets": [
                        {"class_path": f"lightning_ir.data.{dataset}", "init_args": {dataset_arg: str(collection)}}
                    ],
                },
            },
        }
        path = root / f"{subcommand}.yaml"
        path.write_text(yaml.safe_dump(recipe))
        LightningIRCLI(args=[subcommand, f"--config={path}"])
    run: dict[str, list[tuple[str, float]]] = {}
    for line in (root / "runs" / f"{collection.name}.run").read_text().splitlines():
        query_id, _, doc_id, _, score, _ = line.split()
        run.setdefault(query_id, []).append((doc_id, float(score)))
    return run


def collection_docs(collection: Path) -> dict[str, str]:
    """The documents of a collection folder, by id."""
    lines = (collection / "docs.tsv").read_text().splitlines()
    return dict(line.split("\t", 1) for line in lines)  # type: ignore[misc]
