"""The YAML-recipe subcommands (``mine``, ``pipeline``, ``score_tuples``): jsonargparse builds their Python objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def recipe_parser(command: str, description: str, target: Callable[..., Any]) -> Any:
    """A jsonargparse parser of ``target``'s arguments, with ``--config`` reading a YAML recipe.

    Args:
        command: The subcommand (``"score_tuples"``); its recipes are ``configs/<command with dashes>-*.yaml``.
        description: What the subcommand does (shown by ``--help``).
        target: The class whose ``__init__`` or the function whose parameters are the options.

    Returns:
        The ``jsonargparse.ArgumentParser``.
    """
    from jsonargparse import ActionConfigFile, ArgumentParser

    parser = ArgumentParser(prog=f"lightning-ir {command}", description=description)
    recipes = f"configs/{command.replace('_', '-')}-*.yaml"
    parser.add_argument("--config", action=ActionConfigFile, help=f"a YAML recipe (see {recipes})")
    if isinstance(target, type):
        parser.add_class_arguments(target)
    else:
        parser.add_function_arguments(target)
    return parser


def recipe_arguments(parser: Any, args: list[str]) -> dict[str, Any]:
    """The keyword arguments for the parser's target, with every ``class_path`` option built into its object."""
    # jsonargparse >= 4.49 names it instantiate (instantiate_classes is deprecated there)
    instantiate = getattr(parser, "instantiate", None) or parser.instantiate_classes
    config = instantiate(parser.parse_args(args))
    return {key: value for key, value in vars(config).items() if key != "config"}
