r"""``lightning-ir score_tuples``: a teacher module scores every training tuple; the scores are written with them.

::

    lightning-ir score_tuples --config configs/score-tuples-scifact.yaml
    lightning-ir score_tuples --module.class_path lightning_ir.CrossEncoderModule \
        --module.init_args.model_name_or_path models/cross-encoder \
        --tuples_dataset mined/scifact-train --output_dir mined/scifact-train-scored

The options are the arguments of :func:`lightning_ir.experiment.score_tuples`. Train on the result with
``TupleDataset(tuples_dataset=<output_dir>, targets="score")`` and a distillation loss (``KLDivergence``,
``SupervisedMarginMSE``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..experiment.teacher_scores import score_tuples
from .recipe import recipe_arguments, recipe_parser


def build_parser() -> Any:
    """The jsonargparse parser of ``lightning-ir score_tuples`` (``--config`` reads a YAML recipe)."""
    return recipe_parser("score_tuples", __doc__.split("\n")[0], score_tuples)


def run(args: list[str]) -> Path:
    """Scores the tuples as the arguments say and returns the folder written."""
    return score_tuples(**recipe_arguments(build_parser(), args))


def main(args: list[str]) -> None:
    """Runs ``lightning-ir score_tuples`` with the arguments that follow the subcommand."""
    print(f"teacher-scored tuples written to {run(args)}")
