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


def build_parser() -> Any:
    """The jsonargparse parser of ``lightning-ir score_tuples`` (``--config`` reads a YAML recipe)."""
    from jsonargparse import ActionConfigFile, ArgumentParser

    parser = ArgumentParser(prog="lightning-ir score_tuples", description=__doc__.split("\n")[0])
    parser.add_argument("--config", action=ActionConfigFile, help="a YAML recipe (see configs/score-tuples-*.yaml)")
    parser.add_function_arguments(score_tuples)
    return parser


def run(args: list[str]) -> Path:
    """Scores the tuples as the arguments say and returns the folder written."""
    parser = build_parser()
    instantiate = getattr(parser, "instantiate", None) or parser.instantiate_classes
    config = instantiate(parser.parse_args(args))
    return score_tuples(**{key: value for key, value in vars(config).items() if key != "config"})


def main(args: list[str]) -> None:
    """Runs ``lightning-ir score_tuples`` with the arguments that follow the subcommand."""
    print(f"teacher-scored tuples written to {run(args)}")
