"""JSON shapes of incidents, their timelines, actions and metrics."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from warroom.domain.incident import Incident
from warroom.domain.metrics import (
    METRIC_NAMES,
    IncidentMetrics,
    Spread,
    incident_metrics,
    minutes,
)
from warroom.domain.severity import SeverityScale
from warroom.domain.window import TimeWindow
from warroom.schemas.base import Schema, UtcTime
from warroom.store.audit import AuditEntry

if TYPE_CHECKING:
    from warroom.services.metrics import MetricsOverview


class WindowPublic(Schema):
    start: UtcTime
    end: UtcTime
    minutes: int

    @classmethod
    def of(cls, window: TimeWindow | None) -> WindowPublic | None:
        return cls(start=window.start, end=window.end, minutes=window.minutes) if window else None


class MetricsPublic(Schema):
    duration_minutes: int | float | None
    time_to_detect_minutes: int | float | None
    time_to_declare_minutes: int | float | None
    time_to_identify_minutes: int | float | None
    time_to_mitigate_minutes: int | float | None
    time_to_resolve_minutes: int | float | None
    impact_window: WindowPublic | None

    @classmethod
    def of(cls, metrics: IncidentMetrics, window: TimeWindow | None) -> MetricsPublic:
        values = {f"{name}_minutes": minutes(metrics.get(name)) for name in METRIC_NAMES}
        return cls(
            duration_minutes=minutes(metrics.duration),
            impact_window=WindowPublic.of(window),
            **values,
        )


class TimelineEntryPublic(Schema):
    id: int | None
    at: UtcTime
    kind: str
    text: str
    author: str | None
    audience: str


class ActionPublic(Schema):
    number: int
    title: str
    owner: str | None
    due: date | None
    status: str
    link: str | None
    audience: str


class TimelinePublic(Schema):
    data: list[TimelineEntryPublic]
    count: int


class ActionsPublic(Schema):
    data: list[ActionPublic]
    count: int


class ScopePublic(Schema):
    regions: list[str] | None  # null = all
    services: list[str] | None


class IncidentPublic(Schema):
    id: str
    title: str
    severity: str
    severity_label: str
    status: str
    classification: str
    commander: str | None
    roles: dict[str, str]
    scope: ScopePublic
    data_loss: str | None
    summary: str | None
    public_summary: str | None
    root_cause: str | None
    public_root_cause: str | None
    contributing_factors: list[str]
    timeline: list[TimelineEntryPublic]
    actions: list[ActionPublic]
    impact_window: WindowPublic | None
    metrics: MetricsPublic

    @classmethod
    def of(
        cls,
        incident: Incident,
        metrics: IncidentMetrics,
        scale: SeverityScale,
    ) -> IncidentPublic:
        window = incident.impact_window()
        return cls(
            id=incident.id,
            title=incident.title,
            severity=incident.severity,
            severity_label=scale.label_of(incident.severity),
            status=incident.status.value,
            classification=incident.classification.value,
            commander=incident.commander,
            roles={r.value: p for r, p in incident.roles.items()},
            scope=ScopePublic(
                regions=list(incident.scope.regions)
                if incident.scope.regions is not None
                else None,
                services=list(incident.scope.services)
                if incident.scope.services is not None
                else None,
            ),
            data_loss=incident.data_loss,
            summary=incident.summary,
            public_summary=incident.public_summary,
            root_cause=incident.root_cause,
            public_root_cause=incident.public_root_cause,
            contributing_factors=list(incident.contributing_factors),
            timeline=[
                TimelineEntryPublic(
                    id=e.id,
                    at=e.at,
                    kind=e.kind.value,
                    text=e.text,
                    author=e.author,
                    audience=e.audience.value,
                )
                for e in incident.ordered_timeline()
            ],
            actions=[
                ActionPublic(
                    number=a.number,
                    title=a.title,
                    owner=a.owner,
                    due=a.due,
                    status=a.status.value,
                    link=a.link,
                    audience=a.audience.value,
                )
                for a in incident.actions
            ],
            impact_window=WindowPublic.of(window),
            metrics=MetricsPublic.of(metrics, window),
        )


class IncidentSummaryPublic(Schema):
    id: str
    title: str
    severity: str
    status: str
    commander: str | None
    detected_at: UtcTime | None
    duration_minutes: int | float | None

    @classmethod
    def of(cls, incident: Incident) -> IncidentSummaryPublic:
        duration = incident_metrics(incident.timeline).duration
        return cls(
            id=incident.id,
            title=incident.title,
            severity=incident.severity,
            status=incident.status.value,
            commander=incident.commander,
            detected_at=incident.detected_at(),
            duration_minutes=duration.total_seconds() / 60 if duration else None,
        )


class IncidentsPublic(Schema):
    data: list[IncidentSummaryPublic]
    count: int


class IncidentsPage(IncidentsPublic):
    """One page of a list (the API): `count` is every match, `data` this page's."""

    limit: int
    offset: int
    next: str | None  # the URL of the next page, None on the last


class AuditEntryPublic(Schema):
    id: int
    at: UtcTime
    actor: str
    action: str
    changes: dict[str, Any]
    channel: str  # the door: cli, api, web, intake, system
    os_login: str | None  # the operating-system login behind a CLI command
    token_id: str | None  # the API or intake token used

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            changes=entry.changes,
            channel=entry.channel,
            os_login=entry.os_login,
            token_id=entry.token_id,
        )


class AuditEntriesPublic(Schema):
    data: list[AuditEntryPublic]
    count: int


class SpreadPublic(Schema):
    count: int
    median_minutes: int | float | None
    p90_minutes: int | float | None

    @classmethod
    def of(cls, spread: Spread) -> SpreadPublic:
        return cls(
            count=spread.count,
            median_minutes=minutes(spread.median),
            p90_minutes=minutes(spread.p90),
        )


class MetricsGroupPublic(Schema):
    severity: str  # "all" or a severity name
    incidents: int
    time_to_detect: SpreadPublic
    time_to_declare: SpreadPublic
    time_to_identify: SpreadPublic
    time_to_mitigate: SpreadPublic
    time_to_resolve: SpreadPublic


class MetricsOverviewPublic(Schema):
    since: date | None
    until: date | None
    incidents: int
    groups: list[MetricsGroupPublic]

    @classmethod
    def of(cls, overview: MetricsOverview) -> MetricsOverviewPublic:
        return cls(
            since=overview.since,
            until=overview.until,
            incidents=overview.incidents,
            groups=[
                MetricsGroupPublic(
                    severity=group,
                    incidents=overview.counts[group],
                    **{n: SpreadPublic.of(spreads[n]) for n in METRIC_NAMES},
                )
                for group, spreads in overview.by_severity.items()
            ],
        )
