"""/api/v1/metrics: time to detect, declare, identify, mitigate and resolve."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from warroom.api.deps import ActingContext
from warroom.api.routes import API_PREFIX
from warroom.schemas.incidents import MetricsOverviewPublic, MetricsPublic
from warroom.services import incidents as incident_service
from warroom.services import metrics as service

router = APIRouter(prefix=API_PREFIX, tags=["metrics"])


@router.get(
    "/metrics",
    response_model=MetricsOverviewPublic,
    summary="Median and p90 of each metric across incidents, by severity",
)
def overview(
    ctx: ActingContext,
    since: date | None = None,
    until: date | None = None,
    severity: Annotated[list[Annotated[str, Query(max_length=16)]] | None, Query()] = None,
) -> MetricsOverviewPublic:
    found = service.overview(
        ctx,
        since=since,
        until=until,
        severity=[ctx.scale.parse(s) for s in severity] if severity else None,
    )
    return MetricsOverviewPublic.of(found)


@router.get(
    "/incidents/{incident_id}/metrics",
    response_model=MetricsPublic,
    summary="One incident's metrics",
)
def incident_metrics(ctx: ActingContext, incident_id: str) -> MetricsPublic:
    incident = incident_service.get_incident(ctx, incident_id)
    return MetricsPublic.of(service.metrics_of(incident), incident.impact_window())
