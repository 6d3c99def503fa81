"""/api/v1/incidents/{id}/timeline: read an incident's timeline, add entries."""

from __future__ import annotations

from fastapi import APIRouter

from warroom.api.deps import ActingContext, JsonContext
from warroom.api.routes import API_PREFIX
from warroom.api.routes.incidents import public
from warroom.schemas.incidents import TimelineEntryPublic, TimelinePublic
from warroom.schemas.requests import TimelineEntryCreate
from warroom.services import incidents as service

router = APIRouter(prefix=API_PREFIX + "/incidents/{incident_id}/timeline", tags=["timeline"])


@router.get("", response_model=TimelinePublic, summary="An incident's timeline, in order")
def list_entries(ctx: ActingContext, incident_id: str) -> TimelinePublic:
    entries = public(ctx, service.get_incident(ctx, incident_id)).timeline
    return TimelinePublic(data=entries, count=len(entries))


@router.post(
    "", response_model=TimelineEntryPublic, status_code=201, summary="Add a timeline entry"
)
def add_entry(ctx: JsonContext, incident_id: str, body: TimelineEntryCreate) -> TimelineEntryPublic:
    incident = service.add_event(
        ctx, incident_id, kind=body.kind, text=body.text, at=body.at, audience=body.audience
    )
    entries = public(ctx, incident).timeline
    # the entry just stored has the highest id of the incident's entries
    return max(entries, key=lambda e: e.id or 0)
