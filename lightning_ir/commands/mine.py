"""``lightning-ir mine``: hard-negative mining of training tuples for a dataset's judged queries, from a YAML recipe.

::

    lightning-ir mine --config configs/mine-scifact.yaml
    lightning-ir mine --query_dataset beir/scifact/train --run runs/train.run --output_dir mined/scifact-train
    lightning-ir mine --config configs/mine-scifact.yaml --num_negatives 3 --print_config   # the resolved recipe

The options are the arguments of :class:`lightning_ir.experiment.HardNegativeMiner`: the first stage is given by
``class_path`` (``lightning_ir.experiment.BM25Stage`` or ``DenseStage``) and ``init_args``, a teacher module likewise
(``lightning_ir.CrossEncoderModule``). Prints what was written; train on it with
``TupleDataset(tuples_dataset=<output_dir>)`` (``targets: score`` when a teacher scored it).
"""

from __future__ import annotations

from typing import Any

from ..experiment.mining import HardNegativeMiner, MiningResult
from .recipe import recipe_arguments, recipe_parser


def build_parser() -> Any:
    """The jsonargparse parser of ``lightning-ir mine`` (``--config`` reads a YAML recipe)."""
    return recipe_parser("mine", __doc__.split("\n")[0], HardNegativeMiner)


def build_miner(args: list[str]) -> HardNegativeMiner:
    """The :class:`~lightning_ir.experiment.HardNegativeMiner` of the command-line arguments (and ``--config``)."""
    return HardNegativeMiner(**recipe_arguments(build_parser(), args))


def summary(result: MiningResult) -> str:
    """What was written, from which run, and the queries skipped."""
    skipped = ", ".join(f"{reason} {count}" for reason, count in result.skipped.items()) or "none"
    seconds = ", ".join(f"{step} {value:.1f}" for step, value in result.seconds.items())
    return (
        f"{result.num_tuples} tuples of {result.num_queries} queries written to {result.output_dir} "
        f"(negatives from {result.run}); queries skipped: {skipped}; seconds: {seconds}"
    )


def main(args: list[str]) -> None:
    """Runs ``lightning-ir mine`` with the arguments that follow the subcommand."""
    print(summary(build_miner(args).run()))
