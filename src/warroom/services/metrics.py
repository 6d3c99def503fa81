"""Incident metrics: one incident's, and their median and p90 across incidents by severity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from warroom.domain.incident import Incident
from warroom.domain.metrics import (
    IncidentMetrics,
    Spread,
    incident_metrics,
    metric_spreads,
    monthly_medians,
)
from warroom.services.context import Context
from warroom.services.incidents import list_incidents


def metrics_of(incident: Incident) -> IncidentMetrics:
    return incident_metrics(incident.timeline)


@dataclass(frozen=True)
class MetricsOverview:
    since: date | None
    until: date | None
    incidents: int
    by_severity: dict[str, dict[str, Spread]]  # "all" plus each severity present
    counts: dict[str, int]


def overview(ctx: Context, *, since: date | None = None, until: date | None = None,
             severity: list[str] | None = None) -> MetricsOverview:
    """Median and p90 of each metric over incidents detected in [since, until]."""
    incidents = list_incidents(ctx, since=since, until=until, severity=severity)
    groups: dict[str, list[IncidentMetrics]] = {"all": []}
    for incident in incidents:
        metrics = metrics_of(incident)
        groups["all"].append(metrics)
        groups.setdefault(incident.severity, []).append(metrics)
    ordered = ["all", *sorted(k for k in groups if k != "all")]
    return MetricsOverview(
        since=since, until=until, incidents=len(incidents),
        by_severity={k: metric_spreads(groups[k]) for k in ordered},
        counts={k: len(groups[k]) for k in ordered},
    )


@dataclass(frozen=True)
class MetricsTrend:
    """Median of each metric per month (minutes), by severity: the metrics page's charts."""

    months: list[str]  # "YYYY-MM", oldest first
    medians: dict[str, dict[str, list[float | None]]]  # metric -> severity -> per month


def trend(ctx: Context, *, since: date, until: date) -> MetricsTrend:
    """Monthly medians over incidents detected in [since, until] (whole months)."""
    incidents = list_incidents(ctx, since=since, until=until)
    months = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    items = []
    for incident in incidents:
        detected = incident.detected_at()
        if detected is not None:
            items.append((f"{detected:%Y-%m}", incident.severity, metrics_of(incident)))
    return MetricsTrend(months, monthly_medians(items, months))
