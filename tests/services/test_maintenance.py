"""Maintenance records: scheduled, announced (subscribers told, in the same transaction),
cancelled; what the status page and the SLA assessment read of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conftest import Clock
from support.notices import Recorder, deliver
from support.people import acting
from warroom.domain.errors import Conflict, InvalidInput, PermissionDenied
from warroom.domain.scope import Scope
from warroom.domain.sla import Month
from warroom.services import maintenance, sla, subscriptions
from warroom.services.context import Context
from warroom.store import audit

START = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)


def schedule(ctx: Context, **options: object) -> maintenance.MaintenanceRecord:
    values: dict[str, object] = {
        "title": "Database upgrade",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
    }
    values.update(options)
    return maintenance.schedule(acting(ctx, "Riley Responder"), **values)  # type: ignore[arg-type]


def test_a_window_is_recorded_then_announced(ctx: Context, clock: Clock) -> None:
    found = schedule(ctx, scope=Scope(services=("db",)))
    assert found.announced_at is None and maintenance.upcoming(ctx) == []
    clock.advance(hours=1)
    announced = maintenance.announce(acting(ctx, "Riley Responder"), found.id)
    assert announced.announced_at == clock.now
    assert [r.id for r in maintenance.upcoming(ctx)] == [found.id]
    assert maintenance.active_at(ctx, START + timedelta(minutes=5))[0].id == found.id
    assert maintenance.active_at(ctx, START - timedelta(minutes=5)) == []
    with pytest.raises(Conflict, match="already announced"):
        maintenance.announce(acting(ctx, "Riley Responder"), found.id)
    with ctx.db.reading() as conn:
        actions = [e.action for e in audit.entries(conn, entity_id=str(found.id))]
    assert actions == ["maintenance.schedule", "maintenance.announce"]


def test_announcing_tells_the_subscribers_it_touches(ctx: Context) -> None:
    for address, services in (("db@example.com", ["db"]), ("web@example.com", ["web"])):
        subscriptions.subscribe(
            ctx,
            channel="email",
            address=address,
            services=services,
            regions=None,
            client="192.0.2.1",
            limit=100,
        )
    recorder = Recorder()
    deliver(ctx, recorder)
    import re

    for message in recorder.sent:
        token = re.search(r"confirm\?token=([\w-]+)", message.body)
        assert token is not None
        subscriptions.confirm(ctx, token.group(1))
    schedule(
        ctx,
        scope=Scope(services=("db",)),
        announce=True,
        description="Primary database minor version upgrade.",
    )
    recorder = Recorder()
    deliver(ctx, recorder)
    (message,) = recorder.sent
    assert message.recipients == ("db@example.com",)
    assert message.subject == "Scheduled maintenance: Database upgrade (2025-11-20 02:00 UTC)"
    assert "Primary database minor version upgrade." in message.body
    assert "List-Unsubscribe" in message.headers


def test_an_announcement_made_elsewhere_is_recorded_but_not_sent(
    ctx: Context, clock: Clock
) -> None:
    clock.now = START + timedelta(days=1)  # entered after the fact
    found = schedule(ctx, announced_at=START - timedelta(hours=20))
    assert found.announced_at == START - timedelta(hours=20)
    recorder = Recorder()
    deliver(ctx, recorder)
    assert recorder.sent == []
    with pytest.raises(InvalidInput, match="future"):
        schedule(ctx, announced_at=datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="not both"):
        schedule(ctx, announce=True, announced_at=START - timedelta(hours=20))


def test_the_sla_reads_announced_windows_covering_the_incident(ctx: Context, clock: Clock) -> None:
    clock.now = START + timedelta(days=1)
    db = schedule(ctx, scope=Scope(services=("db",)), announced_at=START - timedelta(days=3))
    schedule(ctx, title="Unannounced")
    cancelled = schedule(ctx, announced_at=START - timedelta(days=3))
    maintenance.cancel(acting(ctx, "Riley Responder"), cancelled.id)
    with ctx.db.reading() as conn:
        for_db = sla.maintenance_windows_for(conn, Month(2025, 11), scope=Scope(services=("db",)))
        for_all = sla.maintenance_windows_for(conn, Month(2025, 11), scope=Scope())
        december = sla.maintenance_windows_for(conn, Month(2025, 12), scope=Scope(services=("db",)))
    assert [(w.start, w.announced_at) for w in for_db] == [(db.starts_at, db.announced_at)]
    assert for_all == () and december == ()


def test_only_drivers_schedule_maintenance(ctx: Context) -> None:
    with pytest.raises(PermissionDenied):
        maintenance.schedule(
            acting(ctx, "Val Viewer"),
            title="x",
            starts_at=START,
            ends_at=START + timedelta(hours=1),
        )
    assert maintenance.list_maintenance(acting(ctx, "Val Viewer")) == []
