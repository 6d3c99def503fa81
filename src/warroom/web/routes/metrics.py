"""The metrics page: time to detect, declare, identify, mitigate and resolve, median and
p90 by severity over a period, and each metric's monthly median by severity as a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from warroom.domain.metrics import METRIC_NAMES
from warroom.services import metrics as service
from warroom.services.metrics import MetricsOverview
from warroom.web import forms
from warroom.web.auth import require_viewer
from warroom.web.responses import show
from warroom.web.templating import page

router = APIRouter()

MONTHS_SHOWN = 24
LABELS = {
    "time_to_detect": "Time to detect",
    "time_to_declare": "Time to declare",
    "time_to_identify": "Time to identify",
    "time_to_mitigate": "Time to mitigate",
    "time_to_resolve": "Time to resolve",
}


@page("metrics.html")
@dataclass(frozen=True)
class MetricsPage:
    """Median and p90 of each metric by severity, and the charts over time."""

    since: date
    until: date
    overview: MetricsOverview
    metrics: tuple[tuple[str, str], ...]  # (metric name, label)
    charts: tuple[tuple[str, Markup | None], ...]  # (label, warroom's own SVG)


def default_since(today: date) -> date:
    month = today.month - (MONTHS_SHOWN - 1)
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


@router.get("/response-metrics")
def metrics(request: Request) -> Response:
    viewer = require_viewer(request)
    today = viewer.ctx.now().date()
    since = forms.day(request.query_params.get("since"), "since") or default_since(today)
    until = forms.day(request.query_params.get("until"), "until") or today
    overview = service.overview(viewer.ctx, since=since, until=until)
    trend = service.trend(viewer.ctx, since=since, until=until)
    from warroom.reports import charts

    drawn = []
    for name in METRIC_NAMES:
        svg = charts.trend_chart(
            trend.months, trend.medians[name], title=LABELS[name], prefix=f"trend-{name}"
        )
        drawn.append((LABELS[name], Markup(svg) if svg else None))
    return show(
        request,
        MetricsPage(
            since, until, overview, tuple((n, LABELS[n]) for n in METRIC_NAMES), tuple(drawn)
        ),
        viewer,
    )
