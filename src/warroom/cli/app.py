"""The command line: global options, command groups, and the one error boundary.

Every failure reaches the person as one line and an exit code (docs/security.md):

| code | meaning |
| ---: | --- |
| 0 | done |
| 1 | refused: the input was wrong, or contradicts what is stored; nothing was changed |
| 2 | the command line itself was wrong (unknown option, missing argument) |
| 3 | not allowed: the acting person lacks the role, or is not registered |
| 4 | the database is unreachable, busy, or not at this warroom's schema |
| 5 | a file could not be read or written (disk full, permissions) |
| 70 | a bug in warroom: the message says so; `--debug` shows the traceback |
| 130 | interrupted (Ctrl-C); nothing was stored |
"""

from __future__ import annotations

import importlib
import sys

import click

from warroom import __version__, cli
from warroom.cli.common import err_console, line, report_error, state, styled
from warroom.cli.files import FileError
from warroom.cli.parts import Group
from warroom.domain.errors import PermissionDenied, WarroomError

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_ALLOWED = 3
EXIT_DATABASE = 4
EXIT_FILE = 5
EXIT_BUG = 70
EXIT_INTERRUPTED = 130

# The commands, each loaded when it runs (a responder's `incident show` does not import
# the analytics, the reports or the web server): name -> (module, attribute), a Click
# group or command. In this order in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("warroom.cli.admin", "init"),
    "incident": ("warroom.cli.incidents", "app"),
    "event": ("warroom.cli.timeline", "app"),
    "action": ("warroom.cli.actions", "app"),
    "metrics": ("warroom.cli.metrics", "metrics"),
    "impact": ("warroom.cli.impact", "impact"),
    "sla": ("warroom.cli.sla", "app"),
    "user": ("warroom.cli.users", "app"),
    "report": ("warroom.cli.report", "app"),
    "alert": ("warroom.cli.alerts", "alerts_app"),
    "change": ("warroom.cli.alerts", "changes_app"),
    "token": ("warroom.cli.tokens", "app"),
    "status": ("warroom.cli.status", "app"),
    "notify": ("warroom.cli.notify", "app"),
    "contacts": ("warroom.cli.notify", "contacts_app"),
    "maintenance": ("warroom.cli.maintenance", "app"),
    "serve": ("warroom.cli.serve", "serve"),
    "worker": ("warroom.cli.worker", "worker"),
}


class _LazyCommands(Group):
    """The root group: finds a command in COMMANDS and imports its module then."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module}.{attribute} is not a Click command")
        command.name = name
        return command


def _global(database: str | None, as_user: str | None, debug: bool) -> None:
    state.database_url = database
    state.actor = as_user
    state.debug = debug
    state._ctx = None


app = _LazyCommands(
    name="warroom",
    help="Self-hosted incident management: respond, quantify, settle, learn.",
    callback=_global,
    no_args_is_help=True,
    # `[default: ...]` in every command's --help; a subcommand's context inherits it
    context_settings={"show_default": True},
    params=[
        click.Option(
            ["--database"],
            envvar="WARROOM_DATABASE_URL",
            show_envvar=True,
            help="Database URL (default sqlite:///warroom.db).",
        ),
        click.Option(
            ["--as", "as_user"],
            envvar="WARROOM_USER",
            show_envvar=True,
            help="Who you are: the registered person the command acts as (timeline author, "
            "audit log, approvals). The audit log also records your operating-system login.",
        ),
        click.Option(["--debug"], is_flag=True, help="Show the traceback of an unexpected error."),
    ],
)
click.version_option(__version__, message="warroom %(version)s")(app)


def run(argv: list[str]) -> int:
    """Run the CLI: every failure becomes a one-line message and an exit code."""
    state.json_errors = "--json" in argv
    state.debug = "--debug" in argv
    try:
        # Click's `main` is not used: it turns a closed pipe into exit code 1 and Ctrl-C
        # into "Aborted!"; here every way out is this function's
        with app.make_context("warroom", list(argv)) as context:
            app.invoke(context)
        return 0
    except click.exceptions.Exit as done:  # --help, --version
        return done.exit_code
    except click.ClickException as usage:  # an unknown option, a missing argument
        usage.show()
        return usage.exit_code
    except SystemExit as done:  # Rich leaves so (code 1) when the reader of a pipe went away
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except click.Abort:  # a question (replace the file?) left unanswered: end of input
        err_console.print("Aborted: nothing was changed.")
        return EXIT_REFUSED
    except BaseException as error:  # the boundary: nothing escapes as a traceback
        return _failed(error)
    finally:
        state.close()


def _failed(error: BaseException) -> int:
    from warroom.store.database import DatabaseNotReady, DatabaseUnavailable

    # `cli.INTERRUPTED`: a Ctrl-C arrived (in `warroom` itself, not a test calling `run`),
    # whatever the error a library made of it; a second one is ignored by its handler
    if isinstance(error, KeyboardInterrupt) or _is_interrupt(error) or cli.INTERRUPTED:
        err_console.print(line(styled("Interrupted", "bold red"), ": nothing was stored."))
        return EXIT_INTERRUPTED
    if isinstance(error, WarroomError):
        report_error(error)
        if isinstance(error, PermissionDenied):
            return EXIT_NOT_ALLOWED
        if isinstance(error, DatabaseNotReady | DatabaseUnavailable):
            return EXIT_DATABASE
        if isinstance(error, FileError):
            return EXIT_FILE
        return EXIT_REFUSED
    database = _database_failure(error)
    if database is not None:
        report_error(DatabaseUnavailable(database))
        return EXIT_DATABASE
    if isinstance(error, BrokenPipeError):  # `warroom ... | head`: the reader left
        _quiet_stdout()
        return EXIT_REFUSED  # as when Rich finds the pipe closed: not all was written
    if isinstance(error, OSError):
        report_error(
            FileError(
                f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
            )
        )
        return EXIT_FILE
    report_error(
        WarroomError(
            f"warroom failed unexpectedly ({type(error).__name__}: "
            f"{_first_line(error)}); this is a bug. Run again with --debug "
            "for the details, and report it."
        )
    )
    if state.debug:
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    return EXIT_BUG


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that Python's flush at exit does not fail
    again on the closed pipe ("Exception ignored ... BrokenPipeError")."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):  # not a real file (tests capture it)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _database_failure(error: BaseException) -> str | None:
    """A one-line account of a database failure, or None when `error` is not one."""
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

    from warroom.store.database import is_transient, is_unavailable

    if not isinstance(error, SQLAlchemyError):
        return None
    if isinstance(error, NoSuchModuleError):
        return f"the database URL names a database warroom cannot open ({_first_line(error)})"
    cause = error.orig if isinstance(error, DBAPIError) else None
    reason = _first_line(cause or error)
    url = _safe_url(state.database_url) if state.database_url else _configured_url()
    if "unable to open database file" in reason:
        return (
            f"cannot open the SQLite database {url}: its folder does not exist or is not writable"
        )
    if is_transient(error):
        return f"the database is busy ({reason}); nothing was changed, try again"
    if is_unavailable(error):
        return f"cannot reach the database {url}: {reason}"
    return f"the database refused the operation ({reason}); nothing was changed"


def _configured_url() -> str:
    try:
        return _safe_url(state.settings().database_url)
    except WarroomError:
        return "(the configured database)"


def _safe_url(url: str) -> str:
    """The URL without its password, fit for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the database URL)"


def _is_interrupt(error: BaseException) -> bool:
    """Ctrl-C, also as the engines report it: DuckDB turns it into its own exception
    ("Query interrupted"), which the analytics layer may wrap."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt) or type(seen).__name__ == "InterruptException":
            return True
        if isinstance(seen, RuntimeError) and "query interrupted" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
