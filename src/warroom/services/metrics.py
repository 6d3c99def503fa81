"""Incident metrics: one incident's, and their median and p90 across incidents by severity.

Across incidents, only what the metrics read is read: each incident's severity and the
first entry of each kind of its timeline (`store.incidents.milestones`), never whole
incidents; the definitions stay in `domain.metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from warroom.domain.incident import Incident
from warroom.domain.metrics import (
    MILESTONES,
    IncidentMetrics,
    Spread,
    incident_metrics,
    metric_spreads,
    metrics_from_milestones,
    monthly_medians,
)
from warroom.domain.permissions import Action
from warroom.domain.timeline import EntryKind
from warroom.services.access import authorize
from warroom.services.context import Context
from warroom.services.incidents import visible
from warroom.store import incidents as repo


def metrics_of(incident: Incident) -> IncidentMetrics:
    return incident_metrics(incident.timeline)


@dataclass(frozen=True)
class MetricsOverview:
    since: date | None
    until: date | None
    incidents: int
    by_severity: dict[str, dict[str, Spread]]  # "all" plus each severity present
    counts: dict[str, int]


def overview(
    ctx: Context,
    *,
    since: date | None = None,
    until: date | None = None,
    severity: list[str] | None = None,
) -> MetricsOverview:
    """Median and p90 of each metric over the incidents detected in [since, until] that
    the acting person may see."""
    with ctx.db.reading() as conn:
        who = authorize(conn, ctx, Action.INCIDENT_READ)
        filters = visible(conn, ctx, who, repo.Filters(severity=severity, since=since, until=until))
        found = repo.milestones(conn, filters, MILESTONES)
    groups: dict[str, list[IncidentMetrics]] = {"all": []}
    for incident in found:
        metrics = metrics_from_milestones(incident.first)
        groups["all"].append(metrics)
        groups.setdefault(incident.severity, []).append(metrics)
    ordered = ["all", *sorted(k for k in groups if k != "all")]
    return MetricsOverview(
        since=since,
        until=until,
        incidents=len(found),
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
    with ctx.db.reading() as conn:
        who = authorize(conn, ctx, Action.INCIDENT_READ)
        filters = visible(conn, ctx, who, repo.Filters(since=since, until=until))
        found = repo.milestones(conn, filters, MILESTONES)
    months = []
    year, month = since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    items = []
    for incident in found:
        detected = incident.first.get(EntryKind.DETECTED)
        if detected is not None:
            items.append(
                (f"{detected:%Y-%m}", incident.severity, metrics_from_milestones(incident.first))
            )
    return MetricsTrend(months, monthly_medians(items, months))
