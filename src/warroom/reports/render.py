"""Render a `ReportModel` as Markdown, self-contained HTML, PDF (WeasyPrint) or JSON.

Renderers only format what the model holds; they compute no figure of their own
(shares and durations are arithmetic on the model's values, for reading).
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Literal, overload

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from warroom.domain.scope import Scope
from warroom.domain.sla import Month
from warroom.domain.text import strip_controls
from warroom.domain.window import TimeWindow
from warroom.reports import FORMATS, Format, numbers
from warroom.reports.model import MILESTONE_LABELS, ReportModel

JSON_SCHEMA_VERSION = 1


@overload
def render(model: ReportModel, fmt: Literal["pdf"]) -> bytes: ...
@overload
def render(model: ReportModel, fmt: Literal["md", "html", "json"]) -> str: ...
@overload
def render(model: ReportModel, fmt: Format) -> str | bytes: ...


def render(model: ReportModel, fmt: Format) -> str | bytes:
    """The report in `fmt`: text for md, html and json; PDF bytes for pdf."""
    if fmt == "md":
        return render_markdown(model)
    if fmt == "html":
        return render_html(model)
    if fmt == "pdf":
        return render_pdf(model)
    if fmt == "json":
        return render_json(model)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render_markdown(model: ReportModel) -> str:
    text = _environment().get_template(f"{model.family}.md").render(_context(model, "md"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_html(model: ReportModel) -> str:
    """One self-contained page: inline CSS, charts as inline SVG, no external reference."""
    return _environment().get_template(f"{model.family}.html").render(_context(model, "html"))


def render_pdf(model: ReportModel) -> bytes:
    """The HTML laid out for print by WeasyPrint: A4, page numbers, classification header."""
    from weasyprint import HTML  # slow import; PDF only

    document = HTML(string=render_html(model), url_fetcher=_refusing_fetcher(), base_url=None)
    pdf = document.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def render_json(model: ReportModel) -> str:
    return json.dumps(to_json(model), indent=2, ensure_ascii=False) + "\n"


# -- JSON ---------------------------------------------------------------------------------------


def to_json(model: ReportModel) -> dict[str, Any]:
    """The model as plain JSON data, field for field, exact.

    Shape: ``{"schema": 1, "format": "warroom.report", "audience": ..., "incident": {...},
    "executive_summary", "severity_label", "impact", "sla", "customer", "prepared_by",
    "last_updated", "revision", "generated_at", "classification_banner"}`` where each
    section is an object with the dataclass's field names, or null when the audience
    does not get it. Conventions (docs/json.md): money and
    every other Decimal is a decimal string ("127000.00", "99.197"), counts are integers,
    times are ISO-8601 UTC with Z, dates are ISO dates, a month is "YYYY-MM", a time
    window is ``{"start", "end", "minutes"}``, a scope is ``{"regions", "services"}``
    with null meaning all, durations (incident metrics) are whole or fractional minutes.
    """
    data = _plain(model)
    assert isinstance(data, dict)
    return {
        "schema": JSON_SCHEMA_VERSION,
        "format": "warroom.report",
        **data,
        "classification_banner": model.classification_banner,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return strip_controls(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        return numbers.iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        minutes = value.total_seconds() / 60
        return int(minutes) if minutes == int(minutes) else round(minutes, 2)
    if isinstance(value, TimeWindow):
        return {
            "start": numbers.iso_z(value.start),
            "end": numbers.iso_z(value.end),
            "minutes": value.minutes,
        }
    if isinstance(value, Scope):
        return {"regions": _plain(value.regions), "services": _plain(value.services)}
    if isinstance(value, Month):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"cannot write {type(value).__name__} to report JSON")


# -- templates ----------------------------------------------------------------------------------


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("warroom.reports", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_without_controls,
    )
    env.filters.update(
        about=numbers.about,
        grouped=numbers.grouped,
        percent=numbers.percent,
        duration=numbers.duration,
        money=numbers.money,
        money_range=numbers.money_range,
        hhmm=numbers.hhmm,
        clock=numbers.clock,
        long_date=numbers.long_date,
        month_label=numbers.month_label,
        utc_datetime=numbers.utc_datetime,
        span=numbers.span,
        iso_z=numbers.iso_z,
        humanize=numbers.humanize,
        md=markdown_text,
        cell=markdown_cell,
        code_span=code_span,
        css_string=css_string,
        paragraphs=paragraphs,
    )
    env.globals.update(share=numbers.share, scope_text=scope_text)
    return env


def _without_controls(value: Any) -> Any:
    """Every value a template prints, control characters removed: people's text cannot
    reach a reader's terminal or viewer as escape sequences or reordering marks."""
    if isinstance(value, Markup):
        return Markup(strip_controls(str(value)))
    if isinstance(value, str):
        return strip_controls(value)
    return value


def _context(model: ReportModel, fmt: str) -> dict[str, Any]:
    window = model.window
    first_day = (
        window.start
        if window
        else model.incident.timeline[0].at
        if model.incident.timeline
        else None
    )
    context: dict[str, Any] = {
        "model": model,
        "incident": model.incident,
        "impact": model.impact,
        "sla": model.sla,
        "customer": model.customer,
        "banner": model.classification_banner,
        "window": window,
        "incident_date": numbers.long_date(first_day) if first_day else None,
        "first_day": numbers.utc(first_day).date() if first_day else None,
        "charts": {"error_rate": None, "credits": None},
    }
    if fmt == "html":
        context["charts"] = _charts(model)
    return context


def _charts(model: ReportModel) -> dict[str, Markup | None]:
    from warroom.reports import charts  # matplotlib takes ~0.9 s to import; HTML/PDF only

    error_rate = credits = None
    if model.impact is not None and model.impact.series:
        svg = charts.error_rate_chart(
            [(p.at, p.requests, p.failed) for p in model.impact.series],
            [(entry.at, MILESTONE_LABELS[entry.kind]) for entry in model.milestones],
        )
        error_rate = Markup(svg) if svg else None
    if model.sla is not None and model.sla.by_tier:
        svg = charts.credits_by_tier_chart(
            [(tier.tier, tier.low, tier.high) for tier in model.sla.by_tier], model.sla.currency
        )
        credits = Markup(svg) if svg else None
    return {"error_rate": error_rate, "credits": credits}


def scope_text(scope: Scope) -> str:
    """ "all regions; all services" or "regions eu-west-1, us-east-1; all services"."""
    regions = "all regions" if scope.regions is None else "regions " + ", ".join(scope.regions)
    services = "all services" if scope.services is None else "services " + ", ".join(scope.services)
    return f"{regions}; {services}"


# -- escaping -----------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$|#~])")


def markdown_text(value: object) -> str:
    """People's text made literal in Markdown: emphasis, links, HTML, math and pipes escaped."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", str(value))
    # A line that starts like a list item, or underlines the line above (a setext
    # heading: "---", "==="), would become one.
    text = re.sub(r"(?m)^(\s*)([-+=])(?=\s|[-=]*\s*$)", r"\1\\\2", text)
    return re.sub(r"(?m)^(\s*)(\d+)([.)])(?=\s|$)", r"\1\2\\\3", text)


def markdown_as_text(markdown: str) -> str:
    """A rendered Markdown report as plain text for reading (an email's text part): the
    backslashes `markdown_text` put before punctuation are taken out again."""
    return _MARKDOWN_ESCAPED.sub(r"\1", markdown)


_MARKDOWN_ESCAPED = re.compile(r"\\([\\`*_\[\]<>$|#~.)+=-])")


def code_span(value: object) -> str:
    """Text as one Markdown code span, literal: the fence is longer than any backtick run."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{'`' * (longest + 1)}{pad}{text}{pad}{'`' * (longest + 1)}"


def markdown_cell(value: object) -> str:
    """`markdown_text` for a table cell: one line."""
    return re.sub(r"\s*\n\s*", " ", markdown_text(value)).strip()


def paragraphs(value: object) -> list[str]:
    """Text split into paragraphs at blank lines."""
    return [part.strip() for part in re.split(r"\n\s*\n", str(value)) if part.strip()]


def css_string(value: object) -> Markup:
    """A quoted CSS string, safe inside a <style> element."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " -_.,:;()!?'/" else f"\\{ord(ch):x} " for ch in str(value)
    )
    return Markup(f'"{escaped}"')


# -- PDF ----------------------------------------------------------------------------------------


def _refusing_fetcher() -> Any:
    """A WeasyPrint URL fetcher that fetches nothing: the HTML must be self-contained."""
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"the report tried to fetch {url!r}; reports are self-contained")

    return RefusingFetcher(fail_on_errors=True)
