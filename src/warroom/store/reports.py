"""Published report revisions: numbered per incident, kept as published, never changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from warroom.store.tables import report_revisions


@dataclass(frozen=True)
class Revision:
    incident_id: str
    number: int
    audience: str
    customer_id: str | None
    published_at: datetime
    published_by: str
    data: dict[str, Any]  # the report's JSON, as published
    markdown: str  # the report's Markdown, as published


def _from_row(row: Any) -> Revision:
    return Revision(
        incident_id=row.incident_id,
        number=row.number,
        audience=row.audience,
        customer_id=row.customer_id,
        published_at=row.published_at,
        published_by=row.published_by,
        data=row.data,
        markdown=row.markdown,
    )


def next_number(conn: Connection, incident_id: str) -> int:
    highest = conn.execute(
        select(func.max(report_revisions.c.number)).where(
            report_revisions.c.incident_id == incident_id
        )
    ).scalar()
    return int(highest or 0) + 1


def add(conn: Connection, revision: Revision) -> None:
    conn.execute(
        insert(report_revisions).values(
            incident_id=revision.incident_id,
            number=revision.number,
            audience=revision.audience,
            customer_id=revision.customer_id,
            published_at=revision.published_at,
            published_by=revision.published_by,
            data=revision.data,
            markdown=revision.markdown,
        )
    )


def get(conn: Connection, incident_id: str, number: int) -> Revision | None:
    row = conn.execute(
        select(report_revisions).where(
            report_revisions.c.incident_id == incident_id, report_revisions.c.number == number
        )
    ).first()
    return _from_row(row) if row else None


def all_for(conn: Connection, incident_id: str) -> list[Revision]:
    rows = conn.execute(
        select(report_revisions)
        .where(report_revisions.c.incident_id == incident_id)
        .order_by(report_revisions.c.number)
    )
    return [_from_row(row) for row in rows]


def latest(
    conn: Connection, incident_id: str, audience: str, customer_id: str | None
) -> Revision | None:
    """The newest revision published for this audience (and customer)."""
    query = select(report_revisions).where(
        report_revisions.c.incident_id == incident_id, report_revisions.c.audience == audience
    )
    if customer_id is None:
        query = query.where(report_revisions.c.customer_id.is_(None))
    else:
        query = query.where(report_revisions.c.customer_id == customer_id)
    row = conn.execute(query.order_by(report_revisions.c.number.desc()).limit(1)).first()
    return _from_row(row) if row else None
