"""Stored SLA assessments: inputs as read, their fingerprint, and the review state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from warroom.domain.assessment import Approval, Review, ReviewRole, ReviewState
from warroom.store.tables import sla_assessments


@dataclass(frozen=True)
class StoredAssessment:
    incident_id: str
    month: str
    policy: dict[str, Any]
    policy_source: str
    customers: list[dict[str, Any]]
    customers_source: str
    inputs_digest: str
    review: Review
    result: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _from_row(row: Any) -> StoredAssessment:
    review = Review(ReviewState(row.state),
                    tuple(Approval(ReviewRole(a["role"]), a["by"]) for a in row.approvals))
    return StoredAssessment(
        incident_id=row.incident_id, month=row.month, policy=row.policy,
        policy_source=row.policy_source, customers=row.customers,
        customers_source=row.customers_source, inputs_digest=row.inputs_digest, review=review,
        result=row.result, created_at=row.created_at, updated_at=row.updated_at)


def get(conn: Connection, incident_id: str) -> StoredAssessment | None:
    row = conn.execute(
        select(sla_assessments).where(sla_assessments.c.incident_id == incident_id)).first()
    return _from_row(row) if row else None


def in_month(conn: Connection, month: str) -> list[StoredAssessment]:
    rows = conn.execute(select(sla_assessments).where(sla_assessments.c.month == month)
                        .order_by(sla_assessments.c.incident_id))
    return [_from_row(row) for row in rows]


def _approvals(review: Review) -> list[dict[str, str]]:
    return [{"role": a.role.value, "by": a.by} for a in review.approvals]


def save(conn: Connection, stored: StoredAssessment, *, now: datetime) -> None:
    values = dict(
        month=stored.month, policy=stored.policy, policy_source=stored.policy_source,
        customers=stored.customers, customers_source=stored.customers_source,
        inputs_digest=stored.inputs_digest, state=stored.review.state.value,
        approvals=_approvals(stored.review), result=stored.result, updated_at=now)
    if get(conn, stored.incident_id) is None:
        conn.execute(insert(sla_assessments).values(
            incident_id=stored.incident_id, created_at=now, **values))
    else:
        conn.execute(update(sla_assessments)
                     .where(sla_assessments.c.incident_id == stored.incident_id)
                     .values(**values))
