"""Stored impact analyses: each run is kept; the newest one of an incident is in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from warroom.domain.impact import ImpactResult
from warroom.store.tables import impact_analyses


@dataclass(frozen=True)
class StoredImpact:
    id: int
    incident_id: str
    computed_at: datetime
    computed_by: str
    customers_total: int | None
    result: ImpactResult


def add(conn: Connection, incident_id: str, result: ImpactResult, *, now: datetime, by: str,
        customers_total: int | None) -> int:
    provenance = result.provenance
    inserted = conn.execute(insert(impact_analyses).values(
        incident_id=incident_id, computed_at=now, computed_by=by, source=provenance.source,
        engine=provenance.engine, definition_hash=provenance.definition_hash,
        customers_total=customers_total, result=result.to_json()))
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


def latest(conn: Connection, incident_id: str) -> StoredImpact | None:
    row = conn.execute(
        select(impact_analyses)
        .where(impact_analyses.c.incident_id == incident_id)
        .order_by(impact_analyses.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return StoredImpact(id=row.id, incident_id=row.incident_id, computed_at=row.computed_at,
                        computed_by=row.computed_by, customers_total=row.customers_total,
                        result=ImpactResult.from_json(row.result))


def latest_for(conn: Connection, incident_ids: list[str]) -> dict[str, StoredImpact]:
    found = {}
    for incident_id in incident_ids:
        stored = latest(conn, incident_id)
        if stored is not None:
            found[incident_id] = stored
    return found
