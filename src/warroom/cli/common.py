"""What every command shares: the acting context, option parsing, and terminal output.

People's text is data on the terminal: the consoles here never read Rich markup or emoji
codes in what they print, and show control characters escaped (`domain.text`), so a
title such as ``closing [/] tag`` or one holding ANSI escapes prints as written. Our own
emphasis is built from `Text` pieces (`line`, `bold`), never from markup in strings.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.style import Style
from rich.text import Text

from warroom.domain.errors import InvalidInput, Problem, WarroomError
from warroom.domain.text import escape_controls
from warroom.services.context import Channel, Context, context_from
from warroom.settings import Settings, database_url
from warroom.store.database import Database

if TYPE_CHECKING:  # the JSON shapes (pydantic) load only when JSON is printed
    from warroom.schemas.base import ErrorEnvelope, Schema


class TerminalConsole(Console):
    """A Rich console that prints every string literally, control characters escaped."""

    def render_str(self, text: str, **options: Any) -> Text:
        options.update(markup=False, emoji=False)
        return super().render_str(escape_controls(text), **options)


# soft_wrap: messages are not cut at 80 columns in pipes
console = TerminalConsole(highlight=False, soft_wrap=True, markup=False, emoji=False)
err_console = TerminalConsole(
    stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False
)

BOLD = Style(bold=True)
WARNING = Style(color="yellow")
DANGER = Style(color="red")


def styled(value: object, style: Style | str = BOLD) -> Text:
    """`value` as text in `style`, its control characters escaped."""
    return Text(escape_controls(str(value)), style=style)


def bold(value: object) -> Text:
    return styled(value, BOLD)


def line(*parts: str | Text) -> Text:
    """One line from plain strings (people's text, printed literally) and styled pieces."""
    return Text.assemble(
        *(part if isinstance(part, Text) else escape_controls(part) for part in parts)
    )


def say(*parts: str | Text) -> None:
    console.print(line(*parts))


def warn(*parts: str | Text) -> None:
    err_console.print(line(styled("Warning: ", WARNING), *parts))


@dataclass
class State:
    """Global options, resolved lazily so `--help` never touches the database."""

    database_url: str | None = None
    actor: str | None = None
    json_errors: bool = False
    debug: bool = False
    _ctx: Context | None = field(default=None, repr=False)
    _opened: list[Database] = field(default_factory=list, repr=False)

    def settings(self) -> Settings:
        return Settings.from_env()

    def database(self) -> Database:
        db = Database(self._url(self.settings()))
        self._opened.append(db)
        return db

    def close(self) -> None:
        """Close the command's connections. On SQLite the last one to close folds the
        write-ahead log into the database file, so that the next command does not read
        through a log a large write left behind."""
        for db in self._opened:
            db.dispose()
        self._opened.clear()
        self._ctx = None

    def _url(self, settings: Settings) -> str:
        return database_url(self.database_url) if self.database_url else settings.database_url

    def context(self, *, ready: bool = True) -> Context:
        if self._ctx is None:
            settings = self.settings()
            db = Database(self._url(settings))
            self._opened.append(db)
            if ready:
                db.check_ready()
            self._ctx = context_from(
                settings,
                db,
                actor=self.actor or settings.user,
                channel=Channel.CLI,
                os_login=login_name(),
            )
        return self._ctx


state = State()


def ctx() -> Context:
    return state.context()


def login_name() -> str | None:
    """The operating-system login running the command, for the audit log."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return None


# -- parsing options -------------------------------------------------------------------------


def parse_time(value: str | None, option: str) -> datetime | None:
    """Times on the command line: ISO-8601 with offset, or `now`."""
    if value is None:
        return None
    if value.strip().lower() == "now":
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            [
                Problem(
                    option,
                    "bad_timestamp",
                    f"{value!r} is not a time; expected ISO-8601 with a UTC "
                    "offset, e.g. 2025-11-08T14:02:00Z",
                )
            ]
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput(
            [
                Problem(
                    option,
                    "naive_timestamp",
                    f"{value!r} has no UTC offset; warroom keeps times in UTC, "
                    "write e.g. 2025-11-08T14:02:00Z",
                )
            ]
        )
    return parsed.astimezone(UTC)


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            [Problem(option, "bad_date", f"{value!r} is not a date; expected YYYY-MM-DD")]
        ) from None


def parse_choice(value: str, choices: type[Any], option: str) -> Any:
    try:
        return choices(value.strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in choices)
        raise InvalidInput(
            [Problem(option, "bad_choice", f"unknown value {value!r}; expected one of {names}")]
        ) from None


# -- output ----------------------------------------------------------------------------------


def print_json(data: Schema | dict[str, Any] | list[Any]) -> None:
    text = json.dumps(data, indent=2) if isinstance(data, dict | list) else data.to_json()
    # plain print: Rich would wrap long lines and colour the JSON
    click.echo(text)


def error_envelope(error: WarroomError) -> ErrorEnvelope:
    from warroom.schemas.base import ErrorEnvelope, ErrorItem

    return ErrorEnvelope(
        error=error.message,
        code=error.code,
        errors=[
            ErrorItem(field=p.field, code=p.code, message=p.message, source=p.source, line=p.line)
            for p in error.problems
        ],
    )


def report_error(error: WarroomError) -> None:
    if state.json_errors:
        click.echo(error_envelope(error).to_json(), err=True)
        return
    problems = error.problems
    label = styled("Error: ", Style(color="red", bold=True))
    if len(problems) == 1:
        err_console.print(line(label, str(problems[0])))
    else:
        err_console.print(line(label, f"{len(problems)} problems, nothing was changed:"))
        for problem in problems:
            err_console.print(line(f"  - {problem}"))


def minutes_text(value: float | None) -> str:
    if value is None:
        return "-"
    if 0 < value < 1:
        return f"{round(value * 60)} s"
    total = round(value)
    hours, mins = divmod(total, 60)
    if hours:
        return f"{hours} h {mins} min"
    return f"{value:g} min"


def fmt_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"
