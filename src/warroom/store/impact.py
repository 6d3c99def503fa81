"""Stored impact analyses: each run is kept; the newest one of an incident is in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

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


def add(
    conn: Connection,
    incident_id: str,
    result: ImpactResult,
    *,
    now: datetime,
    by: str,
    customers_total: int | None,
) -> int:
    provenance = result.provenance
    inserted = conn.execute(
        insert(impact_analyses).values(
            incident_id=incident_id,
            computed_at=now,
            computed_by=by,
            source=provenance.source,
            engine=provenance.engine,
            definition_hash=provenance.definition_hash,
            customers_total=customers_total,
            result=result.to_json(),
        )
    )
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
    return _stored(row) if row is not None else None


def _stored(row: Any) -> StoredImpact:
    return StoredImpact(
        id=row.id,
        incident_id=row.incident_id,
        computed_at=row.computed_at,
        computed_by=row.computed_by,
        customers_total=row.customers_total,
        result=ImpactResult.from_json(row.result),
    )


def latest_for(conn: Connection, incident_ids: list[str]) -> dict[str, StoredImpact]:
    """The newest analysis of each of these incidents that has one, in two queries."""
    found: dict[str, StoredImpact] = {}
    for start in range(0, len(incident_ids), 500):
        chunk = incident_ids[start : start + 500]
        newest = (
            select(func.max(impact_analyses.c.id))
            .where(impact_analyses.c.incident_id.in_(chunk))
            .group_by(impact_analyses.c.incident_id)
        )
        for row in conn.execute(
            select(impact_analyses).where(impact_analyses.c.id.in_(newest.scalar_subquery()))
        ):
            found[row.incident_id] = _stored(row)
    return found
