"""The jobs queue as stored: enqueue, claim one under a lease, renew, finish.

Claiming is atomic: on PostgreSQL the candidate row is locked with
``FOR UPDATE SKIP LOCKED``, so concurrent workers take different jobs without waiting;
on SQLite the write transaction holds the database (BEGIN IMMEDIATE), so one worker
claims at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from warroom.store.tables import jobs

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    params: dict[str, Any]
    state: str
    incident_id: str | None
    created_at: datetime
    created_by: str
    channel: str
    token_id: str | None
    attempts: int
    max_attempts: int
    lease_until: datetime | None
    worker: str | None
    progress: float
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    result: dict[str, Any] | None


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        params=dict(row.params),
        state=row.state,
        incident_id=row.incident_id,
        created_at=row.created_at,
        created_by=row.created_by,
        channel=row.channel,
        token_id=row.token_id,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        lease_until=row.lease_until,
        worker=row.worker,
        progress=row.progress,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        result=dict(row.result) if row.result is not None else None,
    )


def add(
    conn: Connection,
    *,
    job_id: str,
    kind: str,
    params: dict[str, Any],
    incident_id: str | None,
    now: datetime,
    created_by: str,
    channel: str,
    token_id: str | None,
    max_attempts: int,
) -> Job:
    conn.execute(
        insert(jobs).values(
            id=job_id,
            kind=kind,
            params=params,
            state=QUEUED,
            incident_id=incident_id,
            created_at=now,
            created_by=created_by,
            channel=channel,
            token_id=token_id,
            attempts=0,
            max_attempts=max_attempts,
            progress=0.0,
        )
    )
    found = get(conn, job_id)
    assert found is not None
    return found


def get(conn: Connection, job_id: str) -> Job | None:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
    return _job(row) if row else None


def next_claimable(conn: Connection, now: datetime) -> Job | None:
    """The oldest job that is queued, or running under a lease that ran out (its worker
    died), locked for this transaction; None when there is none."""
    query = (
        select(jobs)
        .where(or_(jobs.c.state == QUEUED, and_(jobs.c.state == RUNNING, jobs.c.lease_until < now)))
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = conn.execute(query).first()
    return _job(row) if row else None


def claim(
    conn: Connection, job_id: str, *, worker: str, now: datetime, lease_until: datetime
) -> None:
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(
            state=RUNNING,
            worker=worker,
            attempts=jobs.c.attempts + 1,
            lease_until=lease_until,
            started_at=now,
            progress=0.0,
            error=None,
        )
    )


def renew(
    conn: Connection, job_id: str, *, worker: str, lease_until: datetime, progress: float | None
) -> bool:
    """Extend the lease (and note progress) while this worker still holds the job."""
    values: dict[str, Any] = {"lease_until": lease_until}
    if progress is not None:
        values["progress"] = progress
    result = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == RUNNING)
        .values(**values)
    )
    return result.rowcount == 1


def finish(
    conn: Connection,
    job_id: str,
    *,
    state: str,
    now: datetime,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    worker: str | None = None,
) -> bool:
    """Record the outcome; with `worker`, only while that worker still holds the job."""
    query = update(jobs).where(jobs.c.id == job_id)
    if worker is not None:
        query = query.where(jobs.c.worker == worker, jobs.c.state == RUNNING)
    values: dict[str, Any] = {
        "state": state,
        "finished_at": now,
        "lease_until": None,
        "result": result,
        "error": error,
    }
    if state == SUCCEEDED:
        values["progress"] = 1.0
    return conn.execute(query.values(**values)).rowcount == 1


def requeue(conn: Connection, job_id: str, *, error: str) -> None:
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(state=QUEUED, lease_until=None, worker=None, error=error)
    )
