"""ReRankCallback: writes re-ranked runs."""

from __future__ import annotations

from .rank import RankCallback


class ReRankCallback(RankCallback):
    """Writes the runs that ``trainer.re_rank`` produces as TREC run files.

    A run holds the documents of each ``RankBatch``, re-scored by the module; see :class:`RankCallback` for the file
    names and locations.

    Args:
        save_dir: Folder of the run files (default ``<model dir>/runs``, see :class:`RankCallback`).
        run_name: File name of the run (default: the dataset's name).
        report_dir: Folder of an experiment report on each run (for datasets with qrels), see :class:`RankCallback`.
        report_metrics: Measures of the report (default the module's ``evaluation_metrics``).
        report_baseline: A run file the report compares the re-ranked runs with, e.g. the first-stage run being
            re-ranked (default: none).

    Example:
        >>> trainer = LightningIRTrainer(callbacks=[ReRankCallback("runs")])  # doctest: +SKIP
        >>> trainer.re_rank(CrossEncoderModule("path/to/model"), datamodule)  # doctest: +SKIP
    """
