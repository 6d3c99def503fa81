"""Emails as templates, Healthchecks' way: each message is three templates in
`notify/templates/`: `NAME-subject.txt`, `NAME-body-text.txt` and `NAME-body-html.html`.

Every value printed has its control characters removed (`domain.text`), and the HTML
templates escape everything; people's text cannot add a header line or markup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from warroom.domain.text import strip_controls


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("warroom.notify", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_clean,
    )
    env.filters["utc"] = _utc
    env.filters["humanize"] = lambda value: str(value).replace("_", " ")
    return env


def _clean(value: Any) -> Any:
    return strip_controls(value) if isinstance(value, str) else value


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def subject(name: str, **context: Any) -> str:
    text = _environment().get_template(f"{name}-subject.txt").render(context)
    return " ".join(text.split())


def email(name: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of template family `name`."""
    env = _environment()
    text = env.get_template(f"{name}-body-text.txt").render(context)
    html = env.get_template(f"{name}-body-html.html").render(context)
    return subject(name, **context), text, html
