"""``lightning-ir pipeline``: first stage(s) -> fusion -> re-ranking -> experiment report, from one YAML recipe.

::

    lightning-ir pipeline --config configs/pipeline-scifact-hybrid.yaml
    lightning-ir pipeline --config configs/pipeline-scifact-hybrid.yaml --output_dir experiments/other
    lightning-ir pipeline --config recipe.yaml --print_config    # the resolved recipe

The options are the arguments of :class:`lightning_ir.experiment.Pipeline`; stages are given by ``class_path``
(``lightning_ir.experiment.BM25Stage``, ``DenseStage``, ``FusionStage``, ``ReRankStage``) and ``init_args``, modules
likewise (``lightning_ir.BiEncoderModule``, ``lightning_ir.CrossEncoderModule``). The report table is printed, with
the run files and the time of every step.
"""

from __future__ import annotations

from typing import Any

from ..experiment.pipeline import Pipeline, PipelineResult
from .recipe import recipe_arguments, recipe_parser


def build_parser() -> Any:
    """The jsonargparse parser of ``lightning-ir pipeline`` (``--config`` reads a YAML recipe)."""
    return recipe_parser("pipeline", __doc__.split("\n")[0], Pipeline)


def summary(result: PipelineResult) -> str:
    """The report table, the run files and the timings as text."""
    lines = [] if result.report is None else [str(result.report), ""]
    lines += [f"{name:>16}  {path}" for name, path in result.runs.items()]
    lines += ["", "seconds: " + ", ".join(f"{step} {seconds:.1f}" for step, seconds in result.seconds.items())]
    return "\n".join(lines)


def build_pipeline(args: list[str]) -> Pipeline:
    """The :class:`~lightning_ir.experiment.Pipeline` of the command-line arguments (and ``--config`` recipes)."""
    return Pipeline(**recipe_arguments(build_parser(), args))


def main(args: list[str]) -> None:
    """Runs ``lightning-ir pipeline`` with the arguments that follow the subcommand."""
    print(summary(build_pipeline(args).run()))
