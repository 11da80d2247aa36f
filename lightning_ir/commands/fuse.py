"""``lightning-ir fuse``: fuse two or more run files into one TREC run file.

::

    lightning-ir fuse --runs A.run B.run [...] --method rrf|combsum|combmnz [--normalization min-max|z-score]
        [--weights 1 0.5 ...] [--k 60] [--depth 1000] --output fused.run

The fusion is :func:`lightning_ir.experiment.fuse_runs` (see there for the definitions, the rank and tie rules).
"""

from __future__ import annotations

from ..atomic import check_replaceable, resolve_target
from ..data.run_file import is_run_file
from ..experiment.fusion import FusionMethod, ScoreNormalization, fuse_runs
from ..experiment.runs import save_run
from ..validation import option_values
from .parser import CommandLineError, CommandParser, argument_errors


def build_parser() -> CommandParser:
    """The parser of ``lightning-ir fuse``."""
    parser = CommandParser("fuse", "Fuse two or more runs (TREC or JSONL files) into one TREC run file.")
    parser.add_argument("--runs", nargs="+", required=True, metavar="RUN", help="the run files to fuse")
    parser.add_argument(
        "--method", default="rrf", choices=option_values(FusionMethod), help="reciprocal rank fusion, CombSUM, CombMNZ"
    )
    parser.add_argument(
        "--normalization",
        default=None,
        choices=option_values(ScoreNormalization),
        help="per-query score normalisation for combsum/combmnz (default: raw scores)",
    )
    parser.add_argument("--weights", nargs="+", type=float, default=None, help="one weight per run (default 1 each)")
    parser.add_argument("--k", type=float, default=60, help="RRF's constant: score = sum of w / (k + rank)")
    parser.add_argument("--depth", type=int, default=None, help="documents kept per query (default all)")
    parser.add_argument("--tag", default=None, help="run tag, the last column (default: the method)")
    parser.add_argument("--output", required=True, help="the fused run file to write (replaces only a run file)")
    return parser


def main(args: list[str]) -> None:
    """Run ``lightning-ir fuse`` with ``args`` (the arguments after ``fuse``).

    Raises:
        CommandLineError: An argument is missing or invalid.
        FileNotFoundError: A run file does not exist.
        InputFileError: A run file has a malformed line.
        OverwriteRefusedError: ``--output`` exists and is not a run file.
    """
    options = build_parser().parse_args(args)
    output = check_replaceable(options.output, is_run_file, "run file", directory=False)
    if any(resolve_target(run) == output for run in options.runs):
        raise CommandLineError(f"fuse: --output {options.output} is one of the --runs; choose a new file")
    if options.weights is not None and len(options.weights) != len(options.runs):
        raise CommandLineError(
            f"fuse: --weights has {len(options.weights)} values for {len(options.runs)} --runs; give one weight per run"
        )
    tag = options.tag or options.method
    if len(tag.split()) != 1:
        raise CommandLineError(f"fuse: --tag {tag!r} must be one word without whitespace")
    with argument_errors("fuse", "fuse_runs"):
        fused = fuse_runs(
            options.runs,
            method=options.method,
            normalization=options.normalization,
            weights=options.weights,
            k=options.k,
            depth=options.depth,
        )
    path = save_run(options.output, fused, tag=tag)
    lines = sum(len(ranking) for ranking in fused.values())
    print(f"fuse: {options.method} of {len(options.runs)} runs, {len(fused)} queries, {lines} lines -> {path}")
