"""Stored alerts and change events, and which incidents show which changes.

The statements alert intake runs on every delivery are built once, with bound parameters,
so SQLAlchemy finds them compiled at once instead of building and hashing them anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from warroom.domain.alerts import AlertIn, ChangeIn, ChangeKind
from warroom.domain.routing import RouteDecision
from warroom.store.tables import alerts, change_events, incident_changes, incidents


@dataclass(frozen=True)
class StoredAlert:
    id: int
    source: str
    key: str
    fingerprint: str
    status: str
    name: str
    summary: str | None
    severity: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    last_event_at: datetime
    generator_url: str | None
    group_key: str
    routed_severity: str
    service: str | None
    region: str | None
    incident_id: str | None
    first_received_at: datetime
    last_received_at: datetime
    deliveries: int


def _alert(row: Any) -> StoredAlert:
    return StoredAlert(
        id=row.id,
        source=row.source,
        key=row.key,
        fingerprint=row.fingerprint,
        status=row.status,
        name=row.name,
        summary=row.summary,
        severity=row.severity,
        labels=dict(row.labels),
        annotations=dict(row.annotations),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        last_event_at=row.last_event_at,
        generator_url=row.generator_url,
        group_key=row.group_key,
        routed_severity=row.routed_severity,
        service=row.service,
        region=row.region,
        incident_id=row.incident_id,
        first_received_at=row.first_received_at,
        last_received_at=row.last_received_at,
        deliveries=row.deliveries,
    )


_ALERTS_BY_KEY = select(alerts).where(
    and_(
        alerts.c.source == bindparam("source"), alerts.c.key.in_(bindparam("keys", expanding=True))
    )
)
_ADD_ALERT = insert(alerts)
_UPDATE_ALERT = update(alerts).where(alerts.c.id == bindparam("alert_id"))
_OPEN_INCIDENT_OF_GROUP = (
    select(incidents.c.id)
    .select_from(alerts.join(incidents, alerts.c.incident_id == incidents.c.id))
    .where(
        and_(
            alerts.c.group_key == bindparam("group_key"),
            incidents.c.status.in_(bindparam("statuses", expanding=True)),
        )
    )
    .order_by(incidents.c.created_at.desc())
    .limit(1)
)


def get_alert(conn: Connection, source: str, key: str) -> StoredAlert | None:
    return get_alerts(conn, source, [key]).get(key)


def get_alerts(conn: Connection, source: str, keys: list[str]) -> dict[str, StoredAlert]:
    """The alerts of `source` stored under these keys, by key (one query)."""
    if not keys:
        return {}
    rows = conn.execute(_ALERTS_BY_KEY, {"source": source, "keys": keys})
    return {row.key: _alert(row) for row in rows}


def add_alert(
    conn: Connection,
    alert: AlertIn,
    decision: RouteDecision,
    *,
    incident_id: str | None,
    now: datetime,
) -> None:
    conn.execute(
        _ADD_ALERT,
        {
            "source": alert.source.value,
            "key": alert.key,
            "fingerprint": alert.fingerprint,
            "status": alert.status.value,
            "name": alert.name,
            "summary": alert.summary,
            "severity": alert.severity,
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
            "starts_at": alert.starts_at,
            "ends_at": alert.ends_at,
            "last_event_at": alert.at,
            "generator_url": alert.generator_url,
            "receiver": alert.receiver,
            "group_key": decision.group_key,
            "routed_severity": decision.severity,
            "service": decision.service,
            "region": decision.region,
            "incident_id": incident_id,
            "first_received_at": now,
            "last_received_at": now,
            "deliveries": 1,
        },
    )


def update_alert(conn: Connection, stored: StoredAlert, **values: Any) -> None:
    conn.execute(_UPDATE_ALERT, {"alert_id": stored.id, **values})


def open_incident_of_group(
    conn: Connection, group_key: str, active_statuses: list[str]
) -> str | None:
    """The open incident that alerts of this group joined, if any (the newest)."""
    row = conn.execute(
        _OPEN_INCIDENT_OF_GROUP, {"group_key": group_key, "statuses": active_statuses}
    ).first()
    return str(row.id) if row else None


def alerts_of_incident(conn: Connection, incident_id: str) -> list[StoredAlert]:
    rows = conn.execute(
        select(alerts)
        .where(alerts.c.incident_id == incident_id)
        .order_by(alerts.c.starts_at, alerts.c.id)
    )
    return [_alert(r) for r in rows]


def _alerts_where(query: Any, status: str | None, unattached: bool) -> Any:
    if status:
        query = query.where(alerts.c.status == status)
    if unattached:
        query = query.where(alerts.c.incident_id.is_(None))
    return query


def list_alerts(
    conn: Connection,
    *,
    status: str | None = None,
    unattached: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[StoredAlert]:
    query = _alerts_where(select(alerts), status, unattached).order_by(
        alerts.c.last_received_at.desc(), alerts.c.id.desc()
    )
    return [_alert(r) for r in conn.execute(query.limit(limit).offset(offset))]


def count_alerts(conn: Connection, *, status: str | None = None, unattached: bool = False) -> int:
    query = _alerts_where(select(func.count()).select_from(alerts), status, unattached)
    return int(conn.execute(query).scalar_one())


# -- changes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredChange:
    id: int
    change: ChangeIn
    received_at: datetime
    received_by: str


def _change(row: Any) -> StoredChange:
    return StoredChange(
        id=row.id,
        received_at=row.received_at,
        received_by=row.received_by,
        change=ChangeIn(
            key=row.key,
            kind=ChangeKind(row.kind),
            at=row.at,
            summary=row.summary,
            service=row.service,
            region=row.region,
            source=row.source,
            url=row.url,
            author=row.author,
        ),
    )


def get_change(conn: Connection, key: str) -> StoredChange | None:
    row = conn.execute(select(change_events).where(change_events.c.key == key)).first()
    return _change(row) if row else None


def add_change(conn: Connection, change: ChangeIn, *, now: datetime, by: str) -> StoredChange:
    conn.execute(
        insert(change_events).values(
            key=change.key,
            kind=change.kind.value,
            at=change.at,
            summary=change.summary,
            service=change.service,
            region=change.region,
            source=change.source,
            url=change.url,
            author=change.author,
            received_at=now,
            received_by=by,
        )
    )
    stored = get_change(conn, change.key)
    assert stored is not None
    return stored


_CHANGES_BETWEEN = (
    select(change_events)
    .where(and_(change_events.c.at >= bindparam("start"), change_events.c.at <= bindparam("end")))
    .order_by(change_events.c.at, change_events.c.id)
)


def changes_between(conn: Connection, start: datetime, end: datetime) -> list[StoredChange]:
    rows = conn.execute(_CHANGES_BETWEEN, {"start": start, "end": end})
    return [_change(r) for r in rows]


def list_changes(conn: Connection, *, limit: int = 100, offset: int = 0) -> list[StoredChange]:
    rows = conn.execute(
        select(change_events)
        .order_by(change_events.c.at.desc(), change_events.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_change(r) for r in rows]


def count_changes(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(change_events)).scalar_one())


def shown_changes(conn: Connection, incident_id: str) -> set[int]:
    rows = conn.execute(
        select(incident_changes.c.change_id).where(incident_changes.c.incident_id == incident_id)
    )
    return {int(r.change_id) for r in rows}


def show_change(conn: Connection, incident_id: str, change_id: int) -> None:
    conn.execute(insert(incident_changes).values(incident_id=incident_id, change_id=change_id))


def changes_of_incident(conn: Connection, incident_id: str) -> list[StoredChange]:
    """The changes shown on an incident's timeline as possible triggers, by time."""
    rows = conn.execute(
        select(change_events)
        .where(
            change_events.c.id.in_(
                select(incident_changes.c.change_id).where(
                    incident_changes.c.incident_id == incident_id
                )
            )
        )
        .order_by(change_events.c.at, change_events.c.id)
    )
    return [_change(r) for r in rows]
