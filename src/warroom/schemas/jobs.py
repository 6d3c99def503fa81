"""JSON shapes of background jobs (an impact run is one)."""

from __future__ import annotations

from typing import Any

from warroom.schemas.base import Schema, UtcTime
from warroom.schemas.impact import ImpactPublic
from warroom.store.jobs import Job


class JobPublic(Schema):
    id: str
    kind: str
    state: str  # queued | running | succeeded | failed
    incident_id: str | None
    created_at: UtcTime
    created_by: str
    started_at: UtcTime | None
    finished_at: UtcTime | None
    attempts: int
    max_attempts: int
    progress: float  # 0.0 .. 1.0
    error: str | None  # why it failed (or why the last try did)

    @classmethod
    def fields_of(cls, job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "kind": job.kind,
            "state": job.state,
            "incident_id": job.incident_id,
            "created_at": job.created_at,
            "created_by": job.created_by,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "attempts": job.attempts,
            "max_attempts": job.max_attempts,
            "progress": job.progress,
            "error": job.error,
        }


class ImpactRunPublic(JobPublic):
    params: dict[str, str | None]  # the names it was started with
    result: ImpactPublic | None  # once succeeded

    @classmethod
    def of(cls, job: Job) -> ImpactRunPublic:
        return cls(
            **cls.fields_of(job),
            params=dict(job.params),
            result=ImpactPublic.model_validate(job.result) if job.result else None,
        )
