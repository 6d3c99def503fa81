"""What the public status page reads: announced incidents, known places, a content version."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from warroom.domain.audience import Audience
from warroom.domain.lifecycle import Status
from warroom.store.tables import alerts, incidents, maintenance_windows, timeline_entries

ACTIVE = [s.value for s in Status if s.is_active]


def announced_ids(conn: Connection, *, since: date, newest: int) -> list[str]:
    """Incidents with a public timeline entry that are active, detected on or after
    `since`, or among the `newest` announced ones; newest first."""
    public = (
        select(timeline_entries.c.incident_id)
        .where(timeline_entries.c.audience == Audience.PUBLIC.value)
        .distinct()
        .scalar_subquery()
    )
    order = (incidents.c.detected_on.desc(), incidents.c.sequence.desc())
    base = select(incidents.c.id).where(incidents.c.id.in_(public))
    wanted = [
        row.id
        for row in conn.execute(
            base.where(
                incidents.c.status.in_(ACTIVE) | (incidents.c.detected_on >= since)
            ).order_by(*order)
        )
    ]
    for row in conn.execute(base.order_by(*order).limit(newest)):
        if row.id not in wanted:
            wanted.append(row.id)
    return wanted


def alert_places(conn: Connection) -> tuple[list[str], list[str]]:
    """The services and the regions alerts were routed to."""
    services = [
        r[0]
        for r in conn.execute(
            select(alerts.c.service).where(alerts.c.service.is_not(None)).distinct()
        )
    ]
    regions = [
        r[0]
        for r in conn.execute(
            select(alerts.c.region).where(alerts.c.region.is_not(None)).distinct()
        )
    ]
    return services, regions


def content_version(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever anything the status page shows may have changed: an incident
    saved (a timeline entry, a status, a title), added or removed, a new alert, or a
    maintenance window announced or cancelled."""
    changed, count = conn.execute(
        select(func.max(incidents.c.updated_at), func.count()).select_from(incidents)
    ).one()
    newest_alert = conn.execute(select(func.max(alerts.c.id))).scalar()
    announced, cancelled = conn.execute(
        select(
            func.max(maintenance_windows.c.announced_at),
            func.max(maintenance_windows.c.cancelled_at),
        )
    ).one()
    return (str(changed), int(count), newest_alert, str(announced), str(cancelled))
