"""Scheduled maintenance as data: schedule, announce, cancel; what the status page and
the SLA assessment read of it.

Announcing is the fact the SLA's notice rule judges: `announce` stamps the time it
happens (and tells the subscribers it touches, through the outbox, in the same
transaction); `announced_at` records an announcement made outside warroom, in the
past, for windows entered after the fact. Either way the SLA assessment takes the
records' windows through its one exclusion rule (`services.sla.maintenance_windows_for`,
`domain.maintenance.exclusion_windows`), so "announced too late" comes from the record.
Every change re-checks the approvals of the months the window touches.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from warroom.domain.errors import Conflict, InvalidInput, NotFound, Problem
from warroom.domain.maintenance import MaintenanceRecord, check_schedule
from warroom.domain.permissions import Action
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow, require_utc
from warroom.services import sla, subscriptions
from warroom.services.access import Principal, authorize, record
from warroom.services.context import Context
from warroom.store import maintenance as store
from warroom.store.database import lock


def schedule(
    ctx: Context,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    scope: Scope | None = None,
    description: str | None = None,
    announce: bool = False,
    announced_at: datetime | None = None,
) -> MaintenanceRecord:
    """Record a maintenance window; with `announce`, announce it now (subscribers are
    told); with `announced_at`, record that it was announced then, elsewhere."""
    check_schedule(title=title, starts_at=starts_at, ends_at=ends_at, description=description)
    if announce and announced_at is not None:
        raise InvalidInput(
            [
                Problem(
                    "announced_at",
                    "conflicting",
                    "either announce it now or say when it was announced, not both",
                )
            ]
        )
    now = ctx.now()
    if announced_at is not None and require_utc(announced_at) > now:
        raise InvalidInput(
            [
                Problem(
                    "announced_at",
                    "in_future",
                    "an announcement time is a fact: it cannot be in the "
                    "future (announce it when the time comes)",
                )
            ]
        )

    def work(conn: Connection) -> MaintenanceRecord:
        lock(conn, "maintenance")
        who = authorize(conn, ctx, Action.MAINTENANCE_WRITE)
        found = store.add(
            conn,
            title=title.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            scope=scope or Scope(),
            description=description,
            now=now,
            by=who.name,
        )
        record(
            conn,
            ctx,
            who,
            action="maintenance.schedule",
            entity_type="maintenance",
            entity_id=str(found.id),
            changes=_data(found),
        )
        if announce or announced_at is not None:
            found = _announce(conn, ctx, who, found, at=announced_at or now, tell=announce)
        return found

    return ctx.db.write(work)


def announce(ctx: Context, record_id: int) -> MaintenanceRecord:
    """Announce a scheduled window now: it shows on the status page, subscribers whose
    services and regions it touches are told, and the SLA judges its notice from now."""

    def work(conn: Connection) -> MaintenanceRecord:
        lock(conn, "maintenance")
        who = authorize(conn, ctx, Action.MAINTENANCE_WRITE)
        found = _get(conn, record_id)
        if found.cancelled:
            raise Conflict(f"maintenance {record_id} was cancelled")
        if found.announced_at is not None:
            raise Conflict(
                f"maintenance {record_id} was already announced "
                f"({found.announced_at:%Y-%m-%d %H:%M} UTC)"
            )
        return _announce(conn, ctx, who, found, at=ctx.now(), tell=True)

    return ctx.db.write(work)


def cancel(ctx: Context, record_id: int) -> MaintenanceRecord:
    """Cancel a window: it excuses nothing and leaves the status page (the record stays)."""

    def work(conn: Connection) -> MaintenanceRecord:
        lock(conn, "maintenance")
        who = authorize(conn, ctx, Action.MAINTENANCE_WRITE)
        found = _get(conn, record_id)
        if found.cancelled:
            raise Conflict(f"maintenance {record_id} was already cancelled")
        store.cancel(conn, record_id, at=ctx.now(), by=who.name)
        record(
            conn,
            ctx,
            who,
            action="maintenance.cancel",
            entity_type="maintenance",
            entity_id=str(record_id),
            changes={},
        )
        _revalidate(conn, ctx, found)
        return _get(conn, record_id)

    return ctx.db.write(work)


def list_maintenance(
    ctx: Context, *, since: datetime | None = None, limit: int = 1000
) -> list[MaintenanceRecord]:
    """Maintenance records (ending after `since`, when given), by start."""
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ)
        return store.listed(conn, ending_after=since, limit=limit)


def get_maintenance(ctx: Context, record_id: int) -> MaintenanceRecord:
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ)
        return _get(conn, record_id)


# -- what the status page reads (public: announced windows only) -------------------------------


def upcoming(ctx: Context, *, now: datetime | None = None) -> list[MaintenanceRecord]:
    """Announced, not cancelled, and not over yet (running ones included), by start."""
    with ctx.db.reading() as conn:
        return store.listed(conn, ending_after=now or ctx.now(), announced_only=True)


def active_at(ctx: Context, at: datetime) -> list[MaintenanceRecord]:
    """Announced windows running at `at` (the status page's "under maintenance")."""
    return [r for r in upcoming(ctx, now=at) if r.active_at(at)]


# -- plumbing ---------------------------------------------------------------------------------


def _get(conn: Connection, record_id: int) -> MaintenanceRecord:
    found = store.get(conn, record_id)
    if found is None:
        raise NotFound(f"no maintenance {record_id}: `warroom maintenance list` lists them")
    return found


def _announce(
    conn: Connection,
    ctx: Context,
    who: Principal,
    found: MaintenanceRecord,
    *,
    at: datetime,
    tell: bool,
) -> MaintenanceRecord:
    store.announce(conn, found.id, at=at, by=who.name)
    announced = _get(conn, found.id)
    told = subscriptions.maintenance_announced(conn, ctx, announced) if tell else 0
    record(
        conn,
        ctx,
        who,
        action="maintenance.announce" if tell else "maintenance.announced_elsewhere",
        entity_type="maintenance",
        entity_id=str(found.id),
        changes={"announced_at": at.isoformat(), "subscriber_messages": told},
    )
    _revalidate(conn, ctx, announced)
    return announced


def _revalidate(conn: Connection, ctx: Context, found: MaintenanceRecord) -> None:
    """The window may excuse downtime in the months it touches: approvals resting on the
    figures before it are re-checked (and voided when the figures moved)."""
    for month in sla.window_months(TimeWindow(found.starts_at, found.ends_at)):
        sla.revalidate_month(conn, ctx, month)


def _data(found: MaintenanceRecord) -> dict[str, object]:
    return {
        "title": found.title,
        "starts_at": found.starts_at.isoformat(),
        "ends_at": found.ends_at.isoformat(),
        "description": found.description,
        "services": list(found.scope.services) if found.scope.services else None,
        "regions": list(found.scope.regions) if found.scope.regions else None,
    }
