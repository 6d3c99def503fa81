"""The Typer application: global options, command groups, and how errors reach the user."""

from __future__ import annotations

from typing import Annotated

import typer

from warroom import __version__
from warroom.cli import (
    actions,
    admin,
    impact,
    incidents,
    metrics,
    report,
    sla,
    timeline,
    users,
)
from warroom.cli.common import report_error, state
from warroom.domain.errors import WarroomError

app = typer.Typer(
    name="warroom",
    help="Self-hosted incident management: respond, quantify, settle, learn.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"warroom {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    database: Annotated[str | None, typer.Option(
        "--database", envvar="WARROOM_DATABASE_URL", show_envvar=True,
        help="Database URL (default sqlite:///warroom.db).")] = None,
    as_user: Annotated[str | None, typer.Option(
        "--as", envvar="WARROOM_USER", show_envvar=True,
        help="Act as this person (timeline authors, audit log, approvals).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    state.database_url = database
    state.actor = as_user
    state._ctx = None


admin.register(app)
app.add_typer(incidents.app, name="incident")
app.add_typer(timeline.app, name="event")
app.add_typer(actions.app, name="action")
metrics.register(app)
impact.register(app)
app.add_typer(sla.app, name="sla")
app.add_typer(users.app, name="user")
app.add_typer(report.app, name="report")


def run(argv: list[str]) -> int:
    """Run the CLI; user mistakes print a clear message and return 1, never a traceback."""
    state.json_errors = "--json" in argv
    try:
        app(args=argv, prog_name="warroom")
    except WarroomError as error:
        report_error(error)
        return 1
    except SystemExit as done:  # Typer exits after usage errors, --help and success
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0
