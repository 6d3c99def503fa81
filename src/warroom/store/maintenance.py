"""Maintenance records as stored: scheduled, announced, cancelled; never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from warroom.domain.maintenance import MaintenanceRecord
from warroom.domain.scope import Scope
from warroom.store.tables import maintenance_windows as table


def _record(row: Any) -> MaintenanceRecord:
    return MaintenanceRecord(
        id=row.id,
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        scope=Scope(
            regions=tuple(row.regions) if row.regions is not None else None,
            services=tuple(row.services) if row.services is not None else None,
        ),
        description=row.description,
        announced_at=row.announced_at,
        cancelled_at=row.cancelled_at,
    )


def add(
    conn: Connection,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    scope: Scope,
    description: str | None,
    now: datetime,
    by: str,
) -> MaintenanceRecord:
    result = conn.execute(
        insert(table).values(
            title=title,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            services=list(scope.services) if scope.services is not None else None,
            regions=list(scope.regions) if scope.regions is not None else None,
            created_at=now,
            created_by=by,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    found = get(conn, int(key[0]))
    assert found is not None
    return found


def get(conn: Connection, record_id: int) -> MaintenanceRecord | None:
    row = conn.execute(select(table).where(table.c.id == record_id)).first()
    return _record(row) if row else None


def announce(conn: Connection, record_id: int, *, at: datetime, by: str) -> None:
    conn.execute(
        update(table).where(table.c.id == record_id).values(announced_at=at, announced_by=by)
    )


def cancel(conn: Connection, record_id: int, *, at: datetime, by: str) -> None:
    conn.execute(
        update(table).where(table.c.id == record_id).values(cancelled_at=at, cancelled_by=by)
    )


def overlapping(conn: Connection, start: datetime, end: datetime) -> list[MaintenanceRecord]:
    """Records (cancelled ones too) whose window overlaps [start, end), by start."""
    rows = conn.execute(
        select(table)
        .where(table.c.starts_at < end, table.c.ends_at > start)
        .order_by(table.c.starts_at, table.c.id)
    )
    return [_record(row) for row in rows]


def listed(
    conn: Connection,
    *,
    ending_after: datetime | None = None,
    announced_only: bool = False,
    limit: int = 1000,
) -> list[MaintenanceRecord]:
    query = select(table)
    if ending_after is not None:
        query = query.where(table.c.ends_at > ending_after)
    if announced_only:
        query = query.where(table.c.announced_at.is_not(None), table.c.cancelled_at.is_(None))
    rows = conn.execute(query.order_by(table.c.starts_at, table.c.id).limit(limit))
    return [_record(row) for row in rows]
