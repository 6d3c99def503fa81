"""The public status page as data: what it shows, built only from public incident views.

One definition of each rule the page follows (docs/web.md repeats them):

- **Announced.** An incident appears on the status page once its public view holds a
  timeline entry, that is once someone wrote a public update; until then it is not
  shown and does not count anywhere on the page.
- **Services and regions** are those named by announced incidents' scopes and by the
  services and regions alerts were routed to; an incident whose scope is "all" touches
  every one. With none named, the page has one row, "All services".
- **Current state** of a service or region: the worst of its active announced
  incidents — a SEV-1 (rank 1) is a major outage, rank 2 a partial outage, others
  degraded; an incident in `monitoring` (a fix is in place) shows as degraded.
  Without any: operational.
- **Outage span** of an incident: from its first `impact_started` entry (else first
  `detected`) to its first `resolved` entry, or to now while it has none (the impact
  window of docs/lifecycle.md, still open for an active incident).
- **Uptime** of a service on a UTC day: 100 × (1 − minutes of that day inside the
  outage spans of the announced incidents touching it / 1,440); over the 90 days the
  same with 90 × 1,440 minutes. A day with no down minute is "up", one with uptime of
  99 % or more (at most 14 minutes) "minor", else "major".
- **Scheduled maintenance**: the announced, not cancelled maintenance records that are
  not over, by start. While one runs, the services and regions it touches (none named:
  all) are "under maintenance", unless an incident makes them worse; maintenance minutes
  are not down minutes. Its services and regions are named on the page like those of
  incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from warroom.domain.audience import Audience
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.minutes import MinuteSet, epoch_minute
from warroom.domain.redaction import IncidentView
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind, first_of
from warroom.domain.window import TimeWindow

UPTIME_DAYS = 90
DAY_MINUTES = 24 * 60
ALL_SERVICES = "All services"
HISTORY_LIMIT = 20
MINOR_UPTIME = Decimal("99")
TWO_PLACES = Decimal("0.01")


class ServiceState(StrEnum):
    OPERATIONAL = "operational"
    MAINTENANCE = "maintenance"
    DEGRADED = "degraded"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def rank(self) -> int:
        return list(ServiceState).index(self)


_LABELS = {
    ServiceState.OPERATIONAL: "Operational",
    ServiceState.MAINTENANCE: "Under maintenance",
    ServiceState.DEGRADED: "Degraded performance",
    ServiceState.PARTIAL_OUTAGE: "Partial outage",
    ServiceState.MAJOR_OUTAGE: "Major outage",
}

_OVERALL = {
    ServiceState.OPERATIONAL: "All systems operational",
    ServiceState.MAINTENANCE: "Scheduled maintenance in progress",
    ServiceState.DEGRADED: "Some systems have degraded performance",
    ServiceState.PARTIAL_OUTAGE: "Partial outage",
    ServiceState.MAJOR_OUTAGE: "Major outage",
}

STATUS_LABELS = {
    Status.DECLARED: "Investigating",
    Status.TRIAGE: "Investigating",
    Status.INVESTIGATING: "Investigating",
    Status.IDENTIFIED: "Identified",
    Status.MONITORING: "Monitoring",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Resolved",
}

UPDATE_LABELS = {
    EntryKind.TRIGGER: "Update",
    EntryKind.IMPACT_STARTED: "Impact began",
    EntryKind.DETECTED: "Investigating",
    EntryKind.DECLARED: "Investigating",
    EntryKind.IDENTIFIED: "Identified",
    EntryKind.MITIGATED: "Monitoring",
    EntryKind.RESOLVED: "Resolved",
    EntryKind.UPDATE: "Update",
    EntryKind.DECISION: "Update",
    EntryKind.CUSTOMER_COMMS: "Update",
    EntryKind.NOTE: "Update",
    EntryKind.CHANGE: "Update",
}


@dataclass(frozen=True)
class PublicUpdate:
    at: datetime
    label: str  # "Identified", "Update", ...
    text: str


@dataclass(frozen=True)
class PublicIncident:
    id: str
    title: str
    severity: str
    state: ServiceState  # what it does to the services it touches while active
    status_label: str  # Investigating, Identified, Monitoring, Resolved
    active: bool
    summary: str | None  # the public summary people wrote, if any
    started_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime  # its newest public update
    scope: Scope
    updates: tuple[PublicUpdate, ...]  # newest first


@dataclass(frozen=True)
class DayUptime:
    day: date
    down_minutes: int
    uptime: Decimal  # percent, two places
    level: str  # up | minor | major


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: ServiceState
    uptime: Decimal  # percent over the days shown, two places
    days: tuple[DayUptime, ...]  # oldest first


@dataclass(frozen=True)
class RegionStatus:
    name: str
    state: ServiceState


@dataclass(frozen=True)
class Maintenance:
    """An announced maintenance window as the public sees it (a maintenance record's
    title, window, scope and description)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    scope: Scope
    text: str | None = None

    def running_at(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def touches_service(self, name: str) -> bool:
        return name == ALL_SERVICES or self.scope.services is None or name in self.scope.services

    def touches_region(self, name: str) -> bool:
        return self.scope.regions is None or name in self.scope.regions


@dataclass(frozen=True)
class PublicStatus:
    title: str
    generated_at: datetime
    state: ServiceState
    headline: str  # "All systems operational", ...
    services: tuple[ServiceStatus, ...]
    regions: tuple[RegionStatus, ...]
    active: tuple[PublicIncident, ...]  # newest first
    maintenance: tuple[Maintenance, ...]
    history: tuple[PublicIncident, ...]  # resolved, newest first
    updated_at: datetime | None  # the newest public update on the page
    days: int


@dataclass(frozen=True)
class Announced:
    """One announced incident: its public view, its outage span, its severity's rank."""

    view: IncidentView
    span: TimeWindow | None
    severity_rank: int


def is_announced(view: IncidentView) -> bool:
    """Shown on the status page: its public view holds at least one update."""
    if view.audience is not Audience.PUBLIC:
        raise ValueError("the status page is built from public views only")
    return bool(view.timeline)


def outage_span(incident: Incident, now: datetime) -> TimeWindow | None:
    """From the first impact_started (else detected) entry to the first resolved one, or
    to `now` while there is none."""
    start = first_of(incident.timeline, EntryKind.IMPACT_STARTED) or first_of(
        incident.timeline, EntryKind.DETECTED
    )
    if start is None:
        return None
    end = first_of(incident.timeline, EntryKind.RESOLVED)
    until = end.at if end is not None else now
    return TimeWindow(start.at, until) if until > start.at else None


def incident_state(status: str, severity_rank: int) -> ServiceState:
    if status == Status.MONITORING.value:
        return ServiceState.DEGRADED
    if severity_rank <= 1:
        return ServiceState.MAJOR_OUTAGE
    if severity_rank == 2:
        return ServiceState.PARTIAL_OUTAGE
    return ServiceState.DEGRADED


def public_incident(item: Announced) -> PublicIncident:
    view = item.view
    status = Status(view.status)
    updates = tuple(
        PublicUpdate(e.at, UPDATE_LABELS.get(e.kind, "Update"), e.text)
        for e in reversed(view.timeline)
    )
    resolved = first_of_kind(view, EntryKind.RESOLVED)
    return PublicIncident(
        id=view.id,
        title=view.title,
        severity=view.severity,
        state=incident_state(view.status, item.severity_rank),
        status_label=STATUS_LABELS[status],
        active=status.is_active,
        summary=view.summary,
        started_at=item.span.start if item.span else None,
        resolved_at=None if status.is_active else (item.span.end if item.span else resolved),
        updated_at=view.timeline[-1].at,
        scope=view.scope,
        updates=updates,
    )


def first_of_kind(view: IncidentView, kind: EntryKind) -> datetime | None:
    found = [e.at for e in view.timeline if e.kind is kind]
    return min(found) if found else None


def build_status(
    announced: Sequence[Announced],
    *,
    services: Sequence[str] = (),
    regions: Sequence[str] = (),
    now: datetime,
    title: str,
    days: int = UPTIME_DAYS,
    history_limit: int = HISTORY_LIMIT,
    maintenance: Sequence[Maintenance] = (),
) -> PublicStatus:
    """The status page from announced incidents (and the services and regions known)."""
    for item in announced:
        is_announced(item.view)  # refuses anything but a public view
    named_services = set(services)
    named_regions = set(regions)
    for item in announced:
        named_services.update(item.view.scope.services or ())
        named_regions.update(item.view.scope.regions or ())
    for slot in maintenance:
        named_services.update(slot.scope.services or ())
        named_regions.update(slot.scope.regions or ())
    running = [slot for slot in maintenance if slot.running_at(now)]
    service_names = sorted(named_services) or [ALL_SERVICES]
    incidents = sorted(
        (public_incident(item) for item in announced),
        key=lambda i: (i.started_at or i.updated_at, i.id),
        reverse=True,
    )
    active = [i for i in incidents if i.active]
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=days - 1)

    def touching_service(name: str) -> list[Announced]:
        return [
            a
            for a in announced
            if name == ALL_SERVICES
            or a.view.scope.services is None
            or name in a.view.scope.services
        ]

    def state_of(touching: Sequence[PublicIncident], in_maintenance: bool) -> ServiceState:
        states = [i.state for i in touching]
        if in_maintenance:
            states.append(ServiceState.MAINTENANCE)
        return max(states, key=lambda s: s.rank, default=ServiceState.OPERATIONAL)

    rows = []
    for name in service_names:
        items = touching_service(name)
        ids = {a.view.id for a in items}
        spans = [a.span for a in items if a.span is not None]
        rows.append(
            ServiceStatus(
                name,
                state_of(
                    [i for i in active if i.id in ids],
                    any(slot.touches_service(name) for slot in running),
                ),
                *uptime_over(spans, first_day, days),
            )
        )
    region_rows = tuple(
        RegionStatus(
            name,
            state_of(
                [i for i in active if i.scope.regions is None or name in i.scope.regions],
                any(slot.touches_region(name) for slot in running),
            ),
        )
        for name in sorted(named_regions)
    )
    overall = max(
        [r.state for r in rows] + [r.state for r in region_rows],
        key=lambda s: s.rank,
        default=ServiceState.OPERATIONAL,
    )
    return PublicStatus(
        title=title,
        generated_at=now,
        state=overall,
        headline=_OVERALL[overall],
        services=tuple(rows),
        regions=region_rows,
        active=tuple(active),
        maintenance=tuple(sorted(maintenance, key=lambda slot: slot.starts_at)),
        history=tuple(i for i in incidents if not i.active)[:history_limit],
        updated_at=max((i.updated_at for i in incidents), default=None),
        days=days,
    )


def uptime_over(
    spans: Sequence[TimeWindow], first_day: date, days: int
) -> tuple[Decimal, tuple[DayUptime, ...]]:
    """The uptime over `days` days from `first_day`, and each day's (see the module)."""
    down = MinuteSet()
    for span in spans:
        down = down | MinuteSet.from_window(span)
    found = []
    total = 0
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        start = epoch_minute(datetime(day.year, day.month, day.day, tzinfo=UTC))
        minutes = len(down & MinuteSet(((start, start + DAY_MINUTES),)))
        total += minutes
        uptime = _percent(minutes, DAY_MINUTES)
        level = "up" if minutes == 0 else "minor" if uptime >= MINOR_UPTIME else "major"
        found.append(DayUptime(day, minutes, uptime, level))
    return _percent(total, days * DAY_MINUTES), tuple(found)


def _percent(down: int, of: int) -> Decimal:
    value = Decimal(100) * (1 - Decimal(down) / Decimal(of))
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
