"""The status page's rules (domain.status): announced incidents only, states by severity,
uptime per day from outage spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from warroom.domain.audience import Audience
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.redaction import incident_view
from warroom.domain.scope import Scope
from warroom.domain.status import (
    ALL_SERVICES,
    Announced,
    Maintenance,
    ServiceState,
    build_status,
    outage_span,
)
from warroom.domain.timeline import EntryKind, TimelineEntry

NOW = datetime(2025, 11, 9, 12, 0, tzinfo=UTC)


def incident(
    *,
    status: Status = Status.RESOLVED,
    services: tuple[str, ...] | None = None,
    start: datetime = datetime(2025, 11, 8, 14, 2, tzinfo=UTC),
    minutes: int = 347,
    public: bool = True,
) -> Incident:
    found = Incident(
        id="INC-2025-1108-001",
        title="Database outage",
        severity="SEV-1",
        status=status,
        scope=Scope(services=services),
    )
    found.add_entry(TimelineEntry(start, EntryKind.DETECTED, "pager", author="Jane Doe"))
    found.add_entry(
        TimelineEntry(
            start + timedelta(minutes=5),
            EntryKind.UPDATE,
            "We are investigating",
            audience=Audience.PUBLIC if public else Audience.INTERNAL,
        )
    )
    if not status.is_active:
        found.add_entry(
            TimelineEntry(start + timedelta(minutes=minutes), EntryKind.RESOLVED, "fixed")
        )
    return found


def announced(found: Incident, rank: int = 1) -> Announced:
    return Announced(incident_view(found, Audience.PUBLIC), outage_span(found, NOW), rank)


def test_it_refuses_anything_but_public_views() -> None:
    staff = Announced(incident_view(incident(), Audience.INTERNAL), None, 1)
    with pytest.raises(ValueError):
        build_status([staff], now=NOW, title="Status")


def test_it_counts_the_outage_in_the_days_uptime() -> None:
    status = build_status([announced(incident())], now=NOW, title="Status")
    (service,) = status.services
    assert service.name == ALL_SERVICES and service.state is ServiceState.OPERATIONAL
    day = next(d for d in service.days if d.day.isoformat() == "2025-11-08")
    assert day.down_minutes == 347 and day.level == "major"
    assert day.uptime == Decimal("75.90")  # 100 × (1 − 347/1440)
    assert service.uptime == Decimal("99.73")  # 347 of 90 × 1440 minutes
    assert len(service.days) == 90 and service.days[-1].day == NOW.date()
    assert [i.id for i in status.history] == ["INC-2025-1108-001"] and status.active == ()


def test_it_shows_an_active_incident_as_an_outage_of_its_services() -> None:
    active = incident(
        status=Status.IDENTIFIED, services=("checkout",), start=NOW - timedelta(minutes=10)
    )
    status = build_status([announced(active, rank=2)], services=["search"], now=NOW, title="Status")
    states = {s.name: s.state for s in status.services}
    assert states == {"checkout": ServiceState.PARTIAL_OUTAGE, "search": ServiceState.OPERATIONAL}
    assert status.state is ServiceState.PARTIAL_OUTAGE and status.headline == "Partial outage"
    checkout = next(s for s in status.services if s.name == "checkout")
    assert checkout.days[-1].down_minutes == 10 and checkout.days[-1].level == "minor"
    assert status.active[0].updates[0].text == "We are investigating"


def test_it_shows_a_monitored_incident_as_degraded() -> None:
    found = incident(status=Status.MONITORING, start=NOW - timedelta(hours=1))
    assert build_status([announced(found)], now=NOW, title="S").state is ServiceState.DEGRADED


def test_it_keeps_internal_entries_and_names_off_the_page() -> None:
    status = build_status([announced(incident())], now=NOW, title="Status")
    texts = [u.text for i in status.history for u in i.updates]
    assert texts == ["We are investigating"]  # not "pager", "fixed"
    assert "Jane Doe" not in repr(status)


def slot(start: datetime, hours: int = 2, **scope: tuple[str, ...]) -> Maintenance:
    return Maintenance(
        "Database upgrade",
        start,
        start + timedelta(hours=hours),
        Scope(**scope),
        "Minor version upgrade.",
    )


def test_running_maintenance_puts_what_it_touches_under_maintenance() -> None:
    running = slot(NOW - timedelta(minutes=30), services=("db",), regions=("eu-west",))
    later = slot(NOW + timedelta(days=2), services=("search",))
    status = build_status(
        [], services=["checkout"], now=NOW, title="S", maintenance=[later, running]
    )
    states = {s.name: s.state for s in status.services}
    assert states == {
        "checkout": ServiceState.OPERATIONAL,
        "db": ServiceState.MAINTENANCE,
        "search": ServiceState.OPERATIONAL,
    }
    assert {r.name: r.state for r in status.regions} == {"eu-west": ServiceState.MAINTENANCE}
    assert status.state is ServiceState.MAINTENANCE
    assert status.headline == "Scheduled maintenance in progress"
    assert [m.starts_at for m in status.maintenance] == [running.starts_at, later.starts_at]
    # maintenance minutes are not down minutes
    assert all(d.down_minutes == 0 for s in status.services for d in s.days)


def test_an_incident_during_maintenance_shows_as_the_worse_of_the_two() -> None:
    active = incident(status=Status.IDENTIFIED, services=("db",), start=NOW - timedelta(minutes=10))
    status = build_status(
        [announced(active, rank=1)],
        now=NOW,
        title="S",
        maintenance=[slot(NOW - timedelta(minutes=30), services=("db",))],
    )
    assert {s.name: s.state for s in status.services} == {"db": ServiceState.MAJOR_OUTAGE}


def test_maintenance_that_has_not_started_changes_no_state() -> None:
    status = build_status([], now=NOW, title="S", maintenance=[slot(NOW + timedelta(minutes=1))])
    assert status.state is ServiceState.OPERATIONAL and len(status.maintenance) == 1
