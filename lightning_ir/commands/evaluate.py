r"""``lightning-ir evaluate``: the experiment report of several runs, with significance tests against a baseline.

::

    lightning-ir evaluate --qrels <ir_datasets id or qrels file> --runs A.run B.run [...] \
        --metrics nDCG@10 R@100 [...] [--baseline <position or file name of a run>] --output_dir DIR

Prints the table (means per system, marked where they differ significantly from the baseline's) and the p-values,
and with ``--output_dir`` writes ``DIR/report.md``, ``DIR/report.csv`` and the plots ``DIR/*.png``. The report is
:func:`lightning_ir.experiment.evaluate_runs`.
"""

from __future__ import annotations

from pathlib import Path

from ..experiment.report import evaluate_runs
from .parser import CommandParser, argument_errors


def build_parser() -> CommandParser:
    """The parser of ``lightning-ir evaluate``."""
    parser = CommandParser("evaluate", "Evaluate runs on the same judged queries and test each against a baseline run.")
    parser.add_argument(
        "--qrels", required=True, help="a qrels file, an ir_datasets id (beir/scifact/test) or a collection folder"
    )
    parser.add_argument(
        "--runs", nargs="+", required=True, metavar="RUN", help="run files, named by their file name without suffix"
    )
    parser.add_argument(
        "--metrics", nargs="+", default=["nDCG@10", "R@100"], metavar="MEASURE", help="ir_measures measure names"
    )
    parser.add_argument(
        "--baseline",
        default="0",
        help="the baseline run: its position in --runs (0 is the first) or its name or file name",
    )
    parser.add_argument("--output_dir", default=None, help="folder to write report.md, report.csv and the PNG plots")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (after Holm-Bonferroni)")
    parser.add_argument("--n_resamples", type=int, default=10_000, help="resamples of the randomisation test")
    parser.add_argument("--seed", type=int, default=0, help="seed of the randomisation test")
    parser.add_argument("--cutoffs", nargs="+", type=int, default=None, help="cut-offs of the curves")
    return parser


def main(args: list[str]) -> None:
    """Run ``lightning-ir evaluate`` with ``args`` (the arguments after ``evaluate``).

    Raises:
        CommandLineError: An argument is missing or invalid (an unknown measure or baseline, ...).
        FileNotFoundError: A run or qrels file does not exist (or the qrels are no known dataset).
        InputFileError: A file has a malformed line, or a run has no judged query.
        OverwriteRefusedError: ``--output_dir`` exists and is not a report folder.
    """
    options = build_parser().parse_args(args)
    baseline: int | str = options.baseline
    if options.baseline.isdigit() and not _names(options.runs, options.baseline):
        baseline = int(options.baseline)
    with argument_errors("evaluate", "evaluate_runs"):
        report = evaluate_runs(
            options.qrels,
            options.runs,
            metrics=options.metrics,
            baseline=baseline,
            output_dir=options.output_dir,
            alpha=options.alpha,
            n_resamples=options.n_resamples,
            seed=options.seed,
            cutoffs=options.cutoffs,
        )
    print(report)
    if report.files:
        print(f"report written to {options.output_dir}: {', '.join(path.name for path in report.files)}")


def _names(runs: list[str], name: str) -> bool:
    """Whether ``name`` names one of the run files (so that a run file called ``1`` is not read as a position)."""
    return any(name in (run, Path(run).name, Path(run).stem) for run in runs)
