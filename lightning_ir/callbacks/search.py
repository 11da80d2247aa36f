"""SearchCallback: searches an index for the queries of the test loop and writes the runs."""

from __future__ import annotations

from pathlib import Path

from lightning import LightningModule, Trainer

from ..bi_encoder.module import BiEncoderModule
from ..retrieve.base.model_identity import ModelIdentity
from ..retrieve.base.search_config import SearchConfig
from ..retrieve.base.searcher import Searcher
from .rank import RankCallback


class SearchCallback(RankCallback):
    """Loads the index at ``index_dir`` for ``trainer.search`` (or ``trainer.test``) and writes TREC run files.

    The rankings are written as in :class:`RankCallback`.

    When the loop starts the callback loads the searcher (``search_config.searcher_class``), which checks that the
    index was built for the module's model type and with the module's weights; it is the one place a searcher comes
    from. The module's search step asks the trainer's ``SearchCallback`` for it, encodes each ``SearchBatch``'s
    queries, searches once per batch and returns the rankings in its output.

    Args:
        index_dir: The index directory (written by ``IndexCallback``).
        search_config: The search settings (e.g. ``TorchDenseSearchConfig(k=100)``), matching the index type.
        save_dir: Folder of the run files (default ``<model dir>/runs``, see :class:`RankCallback`).
        use_gpu: Search on the GPU when the module runs on one (the searcher follows the module's device).
        allow_model_mismatch: Search even when the module's weights differ from those that built the index (a
            warning instead of an error; the ranking is then meaningless unless the models are compatible).
        report_dir: Folder of an experiment report on each run (for datasets with qrels), see :class:`RankCallback`.
        report_metrics: Measures of the report (default the module's ``evaluation_metrics``).
        report_baseline: A run file the report compares the runs with (default: none).
        run_name: File name of the run (default: named after the dataset), see :class:`RankCallback`.

    Attributes:
        searcher: The loaded searcher while the loop runs, else None.

    Raises:
        FileNotFoundError: (when the loop starts) The index does not exist or is incomplete.
        ValueError: (when the loop starts) The index is corrupt, of another type, or built for another model type
            or with other weights (``ModelMismatchError``).
    """

    def __init__(
        self,
        index_dir: str | Path,
        search_config: SearchConfig,
        save_dir: str | Path | None = None,
        use_gpu: bool = True,
        allow_model_mismatch: bool = False,
        report_dir: str | Path | None = None,
        report_metrics: list[str] | None = None,
        report_baseline: str | Path | None = None,
        run_name: str | None = None,
    ) -> None:
        super().__init__(
            save_dir=save_dir,
            run_name=run_name,
            report_dir=report_dir,
            report_metrics=report_metrics,
            report_baseline=report_baseline,
        )
        if not isinstance(search_config, SearchConfig):
            raise TypeError(
                f"SearchCallback: search_config must be a SearchConfig (e.g. TorchDenseSearchConfig(k=100)), got "
                f"{type(search_config).__name__}"
            )
        self.index_dir = Path(index_dir)
        self.search_config = search_config
        self.use_gpu = use_gpu
        self.allow_model_mismatch = allow_model_mismatch
        self.searcher: Searcher | None = None

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Check the run files may be written, then load the index."""
        super().on_test_start(trainer, pl_module)
        if not isinstance(pl_module, BiEncoderModule):
            raise TypeError(f"SearchCallback: searching needs a BiEncoderModule, got {type(pl_module).__name__}")
        try:
            self.searcher = self.search_config.searcher_class(
                self.index_dir,
                self.search_config,
                pl_module.config,
                use_gpu=self.use_gpu and pl_module.device.type == "cuda",
                model_identity=ModelIdentity.of(pl_module.model, pl_module.config.name_or_path),
                allow_model_mismatch=self.allow_model_mismatch,
            )
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f"SearchCallback: cannot search {self.index_dir}: {error} (build it with trainer.index or "
                "`lightning-ir index`)"
            ) from error
        except ValueError as error:
            raise type(error)(f"SearchCallback: cannot search {self.index_dir}: {error}") from error

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Write the runs and release the index."""
        self.searcher = None
        super().on_test_end(trainer, pl_module)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        """Release the index."""
        self.searcher = None
