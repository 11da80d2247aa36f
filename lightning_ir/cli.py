"""LightningIRCLI: ``lightning-ir fit --config recipe.yaml`` on LightningCLI/jsonargparse."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from lightning import LightningModule, Trainer
from lightning.pytorch.cli import LightningCLI, LRSchedulerTypeUnion, SaveConfigCallback
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau

from .atomic import OverwriteRefusedError, check_replaceable
from .base.module import LightningIRModule
from .commands import COMMANDS, run_command
from .commands.parser import CommandLineError
from .console import quiet_console
from .data.datamodule import LightningIRDataModule
from .data.validation import InputFileError
from .retrieve.base.format import IndexFormatError
from .retrieve.base.model_identity import ModelMismatchError
from .stages import STAGES
from .trainer import LightningIRTrainer

SUBCOMMANDS: dict[str, set[str]] = {
    "fit": {"model", "train_dataloaders", "val_dataloaders", "datamodule"},
    "validate": {"model", "dataloaders", "datamodule"},
    **{name: {"model", "dataloaders", "datamodule"} for name in STAGES},
}
"""The subcommands and the ``LightningIRTrainer`` method arguments each one leaves out of the command line (they
come from ``model``/``data``): ``fit``, ``validate`` and every stage of :data:`~lightning_ir.stages.STAGES`."""


class LightningIRSaveConfigCallback(SaveConfigCallback):
    """Saves the resolved configuration to ``<log dir>/config.yaml`` like LightningCLI, sparing a user's own file.

    Only a configuration file that LightningCLI wrote is replaced (a user's own ``config.yaml`` there is refused, not
    overwritten).
    """

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        """Refuse to replace a foreign config file, then save as LightningCLI does."""
        if self.save_to_log_dir and not self.already_saved:
            log_dir = trainer.log_dir  # broadcasts: every process must ask
            if trainer.is_global_zero and log_dir is not None:
                check_replaceable(Path(log_dir) / self.config_filename, _is_saved_config, "saved config", False)
        super().setup(trainer, pl_module, stage)


def _is_saved_config(path: Path) -> bool:
    """Whether ``path`` is a configuration file written by LightningCLI (its first line names lightning.pytorch)."""
    with open(path, encoding="utf-8", errors="replace") as file:
        return file.readline().startswith("# lightning.pytorch==")


class LightningIRCLI(LightningCLI):
    """The ``lightning-ir`` command line: ``lightning-ir fit|index|search|re_rank --config a.yaml --config b.yaml``.

    A recipe is LightningCLI YAML: ``model`` (a :class:`LightningIRModule` subclass by ``class_path``/``init_args``),
    ``data`` (a :class:`LightningIRDataModule`), ``trainer`` (:class:`LightningIRTrainer` arguments, ``callbacks``
    included), ``optimizer`` and ``lr_scheduler`` (any ``torch.optim`` optimizer and learning-rate scheduler).
    Several ``--config`` files are merged in order; any value can be overridden on the command line
    (``--trainer.max_steps 100``). Learning-rate schedulers are stepped after every optimiser step.

    ``index``, ``search`` and ``re_rank`` run the trainer's stages of the same names; their callbacks
    (``IndexCallback``, ``SearchCallback``, ``ReRankCallback``) go in ``trainer.callbacks``. See ``configs/``.

    Everything it does is also a few lines of Python: build the module, ``module.set_optimizer(...)``, the data
    module and ``LightningIRTrainer(...).fit(module, datamodule)`` (or ``.index``, ``.search``, ``.re_rank``).

    Args:
        model_class: Base class of the models accepted.
        datamodule_class: Base class of the data modules accepted.
        trainer_class: The trainer.
        save_config_kwargs: Passed to LightningCLI; by default the resolved config overwrites an earlier one.
        **kwargs: Other LightningCLI arguments (``args``, ``run``, ``parser_kwargs``, ...).
    """

    def __init__(
        self,
        model_class: type[LightningModule] | Callable[..., LightningModule] | None = LightningIRModule,
        datamodule_class: Any = LightningIRDataModule,
        trainer_class: type[LightningIRTrainer] | Callable[..., LightningIRTrainer] = LightningIRTrainer,
        save_config_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("subclass_mode_model", True)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("save_config_callback", LightningIRSaveConfigCallback)
        kwargs.setdefault("seed_everything_default", 0)
        given = kwargs.get("args")
        if given is None or isinstance(given, list):
            args = sys.argv[1:] if given is None else given
            kept = without_empty_configs(args)
            kwargs["args"] = given if len(kept) == len(args) else kept
        super().__init__(
            model_class=model_class,
            datamodule_class=datamodule_class,
            trainer_class=trainer_class,
            save_config_kwargs={"overwrite": True} if save_config_kwargs is None else save_config_kwargs,
            **kwargs,
        )

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        """The available subcommands and the trainer method arguments they skip (see :data:`SUBCOMMANDS`)."""
        return {name: set(skipped) for name, skipped in SUBCOMMANDS.items()}

    @staticmethod
    def configure_optimizers(
        lightning_module: LightningModule, optimizer: Optimizer, lr_scheduler: LRSchedulerTypeUnion | None = None
    ) -> Any:
        """The optimizer and scheduler given by ``--optimizer``/``--lr_scheduler``; the scheduler steps per batch."""
        if lr_scheduler is None:
            return optimizer
        if isinstance(lr_scheduler, ReduceLROnPlateau):
            scheduler_config = {"scheduler": lr_scheduler, "monitor": getattr(lr_scheduler, "monitor", None)}
            return {"optimizer": optimizer, "lr_scheduler": scheduler_config}
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": lr_scheduler, "interval": "step"}}


def without_empty_configs(args: list[str]) -> list[str]:
    """``args`` without the ``--config``/``-c`` options that name an empty YAML file.

    A file holding nothing but comments or whitespace counts as an empty configuration (jsonargparse versions differ
    on such files).
    """
    kept: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg in ("--config", "-c") and position + 1 < len(args) and _is_empty_yaml(args[position + 1]):
            position += 2
            continue
        if arg.startswith("--config=") and _is_empty_yaml(arg.split("=", 1)[1]):
            position += 1
            continue
        kept.append(arg)
        position += 1
    return kept


def _is_empty_yaml(path: str) -> bool:
    file = Path(path)
    if not file.is_file():
        return False
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8")) is None
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return False


USER_ERRORS: tuple[type[BaseException], ...] = (
    CommandLineError,
    InputFileError,
    NotADirectoryError,
    OverwriteRefusedError,
    IndexFormatError,
    ModelMismatchError,
    FileNotFoundError,
)
"""Errors caused by the command's input (paths, files, indexes): reported in one line without a traceback."""


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``lightning-ir`` console script.

    The subcommands of :data:`~lightning_ir.commands.COMMANDS` (``fuse``, ``evaluate``, ...) run without a trainer;
    every other subcommand is LightningCLI's. Harmless third-party messages are left out (see
    :mod:`lightning_ir.console`). Errors in the input (an output
    path that must not be replaced, a missing or corrupt file or index, an index built with other weights) are
    printed as one ``lightning-ir: error: ...`` line and exit with status 1.

    Args:
        args: Command-line arguments (``sys.argv[1:]`` when None).
    """
    arguments = sys.argv[1:] if args is None else args
    try:
        with quiet_console():
            if arguments and arguments[0] in COMMANDS:
                run_command(arguments[0], arguments[1:])
            else:
                LightningIRCLI(args=args)
    except Exception as error:
        cause = input_error(error)
        if cause is None:
            raise
        print(f"lightning-ir: error: {cause}", file=sys.stderr)
        raise SystemExit(1) from None


def input_error(error: BaseException) -> BaseException | None:
    """The input error behind ``error`` (one of :data:`USER_ERRORS`), or None.

    That is ``error`` itself or one it was raised from or during: jsonargparse wraps the errors of the classes it
    builds from a recipe.
    """
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, USER_ERRORS):
            return current
        stack.extend(link for link in (current.__cause__, current.__context__) if link is not None)
    return None


if __name__ == "__main__":
    main()
