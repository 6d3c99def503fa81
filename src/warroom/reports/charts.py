"""Report charts as SVG text: the per-minute error rate with milestones, and credits by tier.

Drawn with matplotlib's object API (a `Figure` of its own, never pyplot): saving as SVG
needs no GUI or Agg backend, so importing this module selects no backend and changes
nothing global (rc settings apply inside `rc_context` only). The output is deterministic: a fixed
hash salt for element ids, no date in the metadata, text drawn as paths, so the same
data gives the same bytes on every run and machine with the same matplotlib.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from warroom.reports.numbers import money

_INK = "#1f2933"
_GRID = "#d9dee3"
_ERROR = "#c0392b"
_LOW = "#5b8def"
_HIGH = "#1d3f8f"
_MARK = "#7b8794"

_RC: dict[str, Any] = {
    "svg.fonttype": "path",  # glyphs as paths: no font needed where the SVG is shown
    "font.family": "DejaVu Sans",  # shipped with matplotlib: same glyphs everywhere
    "font.size": 9,
    "axes.edgecolor": _MARK,
    "axes.labelcolor": _INK,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "path.simplify": False,
}


def _rc(salt: str) -> Any:
    """The chart settings, with the salt that keeps this chart's element ids stable."""
    return {**_RC, "svg.hashsalt": salt}


def error_rate_chart(
    points: Sequence[tuple[datetime, int, int]], milestones: Sequence[tuple[datetime, str]] = ()
) -> str | None:
    """Failed share of requests per minute (%), UTC on the x axis, milestones as lines.

    `points` are (minute start, requests, failed); `milestones` are (time, label).
    None when there is nothing to draw.
    """
    if not points:
        return None
    times = [_days(at) for at, _, _ in points]
    rates = [100 * failed / requests if requests else 0.0 for _, requests, failed in points]
    with rc_context(_rc("warroom-error-rate")):
        figure = Figure(figsize=(7.5, 3.0))
        axes = figure.add_subplot()
        if len(times) == 1:
            axes.plot(times, rates, "o", color=_ERROR, markersize=3)
        else:
            axes.step(times, rates, where="post", color=_ERROR, linewidth=1.2)
            axes.fill_between(times, rates, step="post", color=_ERROR, alpha=0.15, linewidth=0)
        marks = [(_days(at), label) for at, label in milestones]
        all_times = times + [at for at, _ in marks]
        start, end = min(all_times), max(all_times)
        if start == end:
            axes.set_xlim(start - 30 / 1440, start + 30 / 1440)
        else:
            axes.set_xlim(start, end)
        axes.set_ylim(0, max(5.0, min(100.0, max(rates) * 1.15)))
        for at, _ in marks:
            axes.axvline(at, color=_MARK, linewidth=0.8, linestyle="--")
        for (at, label), (row, align) in zip(marks, _label_rows(figure, axes, marks), strict=True):
            axes.annotate(
                label,
                xy=(at, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2 if align == "left" else -2, 3 + 9 * row),
                textcoords="offset points",
                fontsize=7,
                color=_INK,
                va="bottom",
                ha=align,
                annotation_clip=False,
            )
        locator = mdates.AutoDateLocator(tz=UTC, minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=UTC))  # type: ignore[no-untyped-call]
        axes.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        axes.set_ylabel("failed requests")
        axes.set_xlabel("UTC")
        axes.grid(axis="y", color=_GRID, linewidth=0.6)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        return _svg(figure, "Error rate per minute", "error-rate")


def credits_by_tier_chart(
    tiers: Sequence[tuple[str, Decimal, Decimal]], currency: str | None
) -> str | None:
    """Grouped bars per tier: low (measured downtime) and high (declared downtime) credits.

    `tiers` are (tier name, low, high). None when there is nothing to draw.
    """
    if not tiers:
        return None
    names = [name for name, _, _ in tiers]
    lows = [float(low) for _, low, _ in tiers]
    highs = [float(high) for _, _, high in tiers]
    with rc_context(_rc("warroom-credits")):
        figure = Figure(figsize=(7.5, 2.6))
        axes = figure.add_subplot()
        positions = list(range(len(names)))
        width = 0.38
        axes.bar(
            [p - width / 2 for p in positions],
            lows,
            width,
            color=_LOW,
            label="low (measured downtime)",
        )
        axes.bar(
            [p + width / 2 for p in positions],
            highs,
            width,
            color=_HIGH,
            label="high (declared downtime)",
        )
        axes.set_xticks(positions, names)
        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda value, _: money(Decimal(str(round(value))), currency, whole=True))
        )
        top = max([*lows, *highs, 1.0])
        axes.set_ylim(0, top * 1.15)
        axes.legend(frameon=False, fontsize=8, loc="upper right")
        axes.grid(axis="y", color=_GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        return _svg(figure, "Credits by tier", "credits")


def _label_rows(
    figure: Figure, axes: Axes, marks: Sequence[tuple[float, str]]
) -> list[tuple[int, str]]:
    """A row (0 = just above the plot) and side for each milestone label, so none overlap.

    Widths are estimated from the label length (7 pt DejaVu Sans is about 4.3 pt a
    character), in points along the axes' width; a label near the right end goes to the
    left of its line.
    """
    width_pt = axes.get_position().width * figure.get_figwidth() * 72
    low, high = axes.get_xlim()
    rows: list[list[tuple[float, float]]] = []
    placed: list[tuple[int, str]] = []
    for at, label in marks:
        x = (at - low) / (high - low) * width_pt if high > low else 0.0
        extent = len(label) * 4.3 + 4
        align = "right" if x + extent > width_pt else "left"
        span = (x - extent, x) if align == "right" else (x, x + extent)
        for index, row in enumerate(rows):
            if all(span[1] <= start or span[0] >= end for start, end in row):
                row.append(span)
                placed.append((index, align))
                break
        else:
            rows.append([span])
            placed.append((len(rows) - 1, align))
    return placed


def _days(at: datetime) -> float:
    """A UTC time as matplotlib's date number (days since matplotlib's date epoch)."""
    if at.tzinfo is None:
        raise ValueError(f"time {at.isoformat()} has no UTC offset")
    return float(mdates.date2num(at.astimezone(UTC)))  # type: ignore[no-untyped-call]


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_STYLE_ELEMENT = re.compile(r"\s*<style[^>]*>[^<]*</style>")
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def _as_attributes(match: re.Match[str]) -> str:
    declarations = (part.split(":", 1) for part in match[1].split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in declarations)


_REFERENCE = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def _svg(figure: Figure, title: str, prefix: str) -> str:
    """The figure as an inline-ready <svg> element.

    No XML prologue, DOCTYPE or RDF metadata; element ids carry `prefix` so two charts
    inlined in one page never share an id.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    text = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    text = _METADATA.sub("", text, count=1)
    # Styles as presentation attributes: the same drawing, but nothing an HTML (or
    # WeasyPrint's) stylesheet parser reads as CSS for the page.
    text = _STYLE_ELEMENT.sub("", text, count=1)
    text = _STYLE_ATTRIBUTE.sub(_as_attributes, text)
    text = text.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    ids = set(_ID.findall(text))
    text = _REFERENCE.sub(lambda m: f"{m[1]}{prefix}-{m[2]}" if m[2] in ids else m[0], text)
    # Scale with the page: keep the aspect ratio from the viewBox, fill the width.
    text = re.sub(
        r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', text, count=1
    )
    return text.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def trend_chart(
    months: Sequence[str], series: dict[str, list[float | None]], *, title: str, prefix: str
) -> str | None:
    """One line per series (e.g. a severity) over months, in minutes; gaps where None.

    `months` are "YYYY-MM" labels; None when no series has a value.
    """
    if not any(v is not None for values in series.values() for v in values):
        return None
    palette = [_ERROR, _HIGH, "#d97706", _LOW, "#16a34a", _MARK]
    with rc_context(_rc(f"warroom-{prefix}")):
        figure = Figure(figsize=(7.5, 2.6))
        axes = figure.add_subplot()
        positions = list(range(len(months)))
        for index, (name, values) in enumerate(sorted(series.items())):
            points = [(p, v) for p, v in zip(positions, values, strict=True) if v is not None]
            if not points:
                continue
            axes.plot(
                [p for p, _ in points],
                [v for _, v in points],
                marker="o",
                markersize=3,
                linewidth=1.2,
                color=palette[index % len(palette)],
                label=name,
            )
        step = max(1, len(months) // 8)
        axes.set_xticks(positions[::step], [months[p] for p in positions[::step]])
        axes.set_xlim(-0.5, max(0.5, len(months) - 0.5))
        axes.set_ylim(bottom=0)
        axes.set_ylabel("minutes (median)")
        axes.legend(frameon=False, fontsize=8, loc="upper left")
        axes.grid(axis="y", color=_GRID, linewidth=0.6)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        return _svg(figure, title, prefix)
