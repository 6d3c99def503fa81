"""Rendering pages: one Jinja environment (autoescape on everywhere), and each page's
context as a dataclass registered with its template (`@page("incidents.html")`).

A page gets its dataclass's fields as variables, plus the few every page shares
(`COMMON`); tests/web/test_templates.py checks that each template uses exactly those.
People's text is never marked safe: only warroom's own SVG charts are `Markup`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse, Response

from warroom.domain.assessment import shown_uptime
from warroom.domain.text import strip_controls
from warroom.domain.window import iso_z
from warroom.reports import numbers

T = TypeVar("T")

# page dataclass -> its template
PAGES: dict[type, str] = {}
# what every page gets besides its own fields
COMMON = ("viewer", "csrf_token", "error", "notice", "path")

# Content-Security-Policy of every page: nothing inline, nothing from elsewhere
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-src 'self'; frame-ancestors 'none'"
)


def page(template: str) -> Callable[[type[T]], type[T]]:
    """Register a page's context dataclass with its template."""

    def register(cls: type[T]) -> type[T]:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        PAGES[cls] = template
        return cls

    return register


def context_of(obj: object) -> dict[str, Any]:
    """A page dataclass's fields, shallowly (objects stay objects)."""
    assert dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def security_headers(response: Response, *, policy: str = PAGE_POLICY) -> Response:
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if "frame-ancestors 'none'" in policy:
        response.headers["X-Frame-Options"] = "DENY"
    return response


def render_template(template: str, variables: dict[str, Any]) -> str:
    return environment().get_template(template).render(variables)


def render_page(
    obj: object, *, common: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HTMLResponse:
    template = PAGES[type(obj)]
    missing = [name for name in COMMON if name not in common]
    if missing:
        raise ValueError(f"a page needs {', '.join(missing)}")
    html = render_template(template, {**context_of(obj), **common})
    response = HTMLResponse(html, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return security_headers(response)  # type: ignore[return-value]


# -- the environment ----------------------------------------------------------------------


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("warroom.web", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_without_controls,
    )
    env.filters.update(
        utc=utc_text,
        iso_z=iso_z,
        grouped=numbers.grouped,
        percent=numbers.percent,
        money=numbers.money,
        money_range=numbers.money_range,
        minutes=minutes_text,
        humanize=numbers.humanize,
        day=day_text,
        plain=plain_number,
        uptime=lambda value: format(shown_uptime(value), "f"),
    )
    return env


def _without_controls(value: Any) -> Any:
    if isinstance(value, Markup):
        return Markup(strip_controls(str(value)))
    if isinstance(value, str):
        return strip_controls(value)
    return value


def utc_text(at: datetime | None) -> str:
    """2025-11-08 14:02 UTC (seconds when there are any)."""
    if at is None:
        return ""
    at = numbers.utc(at)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC" if at.second else "%Y-%m-%d %H:%M UTC")


def day_text(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


def minutes_text(value: timedelta | int | float | None) -> str:
    """A duration as people read it: 5 h 47 min, 17 min, 45 s."""
    if value is None:
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) * 60
    if seconds < 60:
        return f"{round(seconds)} s"
    total = round(seconds / 60)
    hours, mins = divmod(total, 60)
    days, hours = divmod(hours, 24)
    parts = (
        ([f"{days} d"] if days else [])
        + ([f"{hours} h"] if hours else [])
        + ([f"{mins} min"] if mins or not (days or hours) else [])
    )
    return " ".join(parts)


def plain_number(value: Decimal | int | float) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
