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

    Example:
        >>> trainer = LightningIRTrainer(callbacks=[ReRankCallback("runs")])  # doctest: +SKIP
        >>> trainer.re_rank(CrossEncoderModule("path/to/model"), datamodule)  # doctest: +SKIP
    """
