"""The Click pieces the command modules share: command groups, and the options many
commands take.

Commands are plain Click (as Datasette's): a decorator per option, its name, type,
default and help in one place, and nothing resolved at run time from type hints, so a
command that only reads starts in the time Python needs to import what it uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


class Group(click.Group):
    """A group of commands, listed in --help in the order they are defined (Click sorts
    them by name): the order of the work, declare before list before close.

    With `default`, a first word that names none of its commands runs that one: `warroom
    report INC` is `warroom report show INC`."""

    group_class = type  # its subgroups are Groups too

    def __init__(self, *args: Any, default: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = args[0] if args else None
        if self.default and first is not None and first not in (*self.commands, "--help", "-h"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def group(help: str, *, default: str | None = None) -> Group:
    """A group of commands: `warroom NAME --help` shows `help` and its commands."""
    return Group(help=help, no_args_is_help=True, default=default)


incident_argument = click.argument(
    "incident_id", metavar="INCIDENT", help="The incident's ID, e.g. INC-2025-1108-001."
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (schemas in docs/json.md)."
)
force_option = click.option("--force", is_flag=True, help="Replace the file if it exists.")
# a file or folder name on the command line, as a Path; each command checks it itself
PATH = click.Path(path_type=Path)
