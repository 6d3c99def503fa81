"""/api/v1 impact: the stored analysis, and impact runs started as background jobs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from warroom.api.deps import ActingContext, JsonContext, ServerDep
from warroom.api.routes import API_PREFIX
from warroom.schemas.impact import ImpactPublic
from warroom.schemas.jobs import ImpactRunPublic
from warroom.schemas.requests import ImpactRunCreate
from warroom.services import impact as service
from warroom.services import impact_runs, jobs

router = APIRouter(prefix=API_PREFIX, tags=["impact"])


@router.get(
    "/incidents/{incident_id}/impact",
    response_model=ImpactPublic,
    summary="The incident's newest impact analysis",
)
def get_impact(ctx: ActingContext, incident_id: str) -> ImpactPublic:
    return ImpactPublic.of(service.require_latest(ctx, incident_id))


@router.post(
    "/incidents/{incident_id}/impact-runs",
    response_model=ImpactRunPublic,
    status_code=202,
    summary="Start an impact run (a background job)",
)
def start_run(
    ctx: JsonContext,
    srv: ServerDep,
    incident_id: str,
    body: ImpactRunCreate,
    request: Request,
    response: Response,
) -> ImpactRunPublic:
    """Queues the scan and answers at once; poll the job's URL (the Location header)."""
    job = impact_runs.start(
        ctx,
        incident_id,
        srv.sources,
        source=body.source,
        customers=body.customers,
        policy=body.policy,
    )
    response.headers["Location"] = str(request.url_for("get_run", job_id=job.id))
    return ImpactRunPublic.of(job)


@router.get(
    "/impact-runs/{job_id}",
    response_model=ImpactRunPublic,
    summary="An impact run: state, progress, error or result",
)
def get_run(ctx: ActingContext, job_id: str) -> ImpactRunPublic:
    return ImpactRunPublic.of(jobs.get_job(ctx, job_id, kind=impact_runs.KIND))
