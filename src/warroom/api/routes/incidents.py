"""/api/v1/incidents: declare, list (filters, pages), show, update, status, reopen, assign."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from warroom.api.deps import ActingContext, JsonContext
from warroom.api.routes import API_PREFIX
from warroom.domain.audience import Audience
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.scope import Scope
from warroom.schemas.incidents import IncidentPublic, IncidentsPage, IncidentSummaryPublic
from warroom.schemas.requests import (
    Assignment,
    IncidentCreate,
    IncidentUpdate,
    Reopen,
    StatusChange,
)
from warroom.services import incidents as service
from warroom.services.context import Context
from warroom.services.metrics import metrics_of

router = APIRouter(prefix=API_PREFIX + "/incidents", tags=["incidents"])

IncidentId = Annotated[str, Path(description="The incident's ID, e.g. INC-2025-1108-001.")]


def public(ctx: Context, incident: Incident) -> IncidentPublic:
    """What `warroom incident show ID --json` prints: the same construction."""
    return IncidentPublic.of(incident, metrics_of(incident), ctx.scale)


@router.get("", response_model=IncidentsPage, summary="List incidents, newest first")
def list_incidents(
    ctx: ActingContext,
    request: Request,
    status: Annotated[list[Status] | None, Query(description="Only these statuses.")] = None,
    severity: Annotated[
        list[Annotated[str, Query(max_length=16)]] | None,
        Query(description="Only these severities (SEV-1 ...)."),
    ] = None,
    since: Annotated[date | None, Query(description="Detected on or after (YYYY-MM-DD).")] = None,
    until: Annotated[date | None, Query(description="Detected on or before.")] = None,
    active: Annotated[
        bool, Query(description="Only unresolved incidents (of `status`, when given).")
    ] = False,
    q: Annotated[
        str | None, Query(max_length=200, description="Title or ID contains this text (any case).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> IncidentsPage:
    page = service.list_page(
        ctx,
        status=service.status_filter([s.value for s in status] if status else None, active=active),
        severity=[ctx.scale.parse(s) for s in severity] if severity else None,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
        text=q or None,
    )
    following = offset + limit
    return IncidentsPage(
        data=[IncidentSummaryPublic.of(i) for i in page.incidents],
        count=page.total,
        limit=limit,
        offset=offset,
        next=str(request.url.include_query_params(offset=following))
        if following < page.total
        else None,
    )


@router.post("", response_model=IncidentPublic, status_code=201, summary="Declare an incident")
def declare_incident(
    ctx: JsonContext, body: IncidentCreate, response: Response, request: Request
) -> IncidentPublic:
    incident = service.declare(
        ctx,
        title=body.title,
        severity=body.severity,
        commander=body.commander,
        detected_at=body.detected_at,
        scope=Scope(
            regions=tuple(body.regions) if body.regions is not None else None,
            services=tuple(body.services) if body.services is not None else None,
        ),
        classification=body.classification,
        status=body.status,
        description=body.description,
    )
    response.headers["Location"] = str(request.url_for("get_incident", incident_id=incident.id))
    return public(ctx, incident)


@router.get("/{incident_id}", response_model=IncidentPublic, summary="Show an incident")
def get_incident(ctx: ActingContext, incident_id: IncidentId) -> IncidentPublic:
    return public(ctx, service.get_incident(ctx, incident_id))


@router.patch(
    "/{incident_id}", response_model=IncidentPublic, summary="Change an incident's fields"
)
def update_incident(
    ctx: JsonContext, incident_id: IncidentId, body: IncidentUpdate
) -> IncidentPublic:
    given = body.model_fields_set
    scope = None
    if "regions" in given or "services" in given:
        current = service.get_incident(ctx, incident_id).scope
        scope = Scope(
            regions=(tuple(body.regions) if body.regions is not None else None)
            if "regions" in given
            else current.regions,
            services=(tuple(body.services) if body.services is not None else None)
            if "services" in given
            else current.services,
        )
    changes = service.IncidentChanges(
        title=body.title,
        severity=body.severity,
        classification=body.classification,
        scope=scope,
        data_loss=body.data_loss,
        summary=body.summary,
        public_summary=body.public_summary,
        root_cause=body.root_cause,
        public_root_cause=body.public_root_cause,
        contributing_factors=list(body.contributing_factors)
        if body.contributing_factors is not None
        else None,
    )
    return public(ctx, service.update(ctx, incident_id, changes))


@router.post(
    "/{incident_id}/status",
    response_model=IncidentPublic,
    summary="Move an incident along its lifecycle",
)
def change_status(ctx: JsonContext, incident_id: IncidentId, body: StatusChange) -> IncidentPublic:
    incident = service.change_status(
        ctx,
        incident_id,
        body.status,
        message=body.message,
        at=body.at,
        audience=Audience.PUBLIC if body.public else Audience.INTERNAL,
    )
    return public(ctx, incident)


@router.post(
    "/{incident_id}/reopen",
    response_model=IncidentPublic,
    summary="Reopen a resolved or closed incident",
)
def reopen_incident(ctx: JsonContext, incident_id: IncidentId, body: Reopen) -> IncidentPublic:
    return public(
        ctx, service.reopen(ctx, incident_id, body.status, reason=body.reason, at=body.at)
    )


@router.post(
    "/{incident_id}/assign",
    response_model=IncidentPublic,
    summary="Give a person a role on an incident",
)
def assign_role(ctx: JsonContext, incident_id: IncidentId, body: Assignment) -> IncidentPublic:
    return public(ctx, service.assign(ctx, incident_id, body.role, body.person))
