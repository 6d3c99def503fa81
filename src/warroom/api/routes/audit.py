"""/api/v1/incidents/{id}/audit: who changed what, when."""

from __future__ import annotations

from fastapi import APIRouter

from warroom.api.deps import ActingContext
from warroom.api.routes import API_PREFIX
from warroom.schemas.incidents import AuditEntriesPublic, AuditEntryPublic
from warroom.services import incidents as service

router = APIRouter(prefix=API_PREFIX, tags=["audit"])


@router.get(
    "/incidents/{incident_id}/audit",
    response_model=AuditEntriesPublic,
    summary="The incident's audit log, oldest first",
)
def incident_audit(ctx: ActingContext, incident_id: str) -> AuditEntriesPublic:
    entries = [AuditEntryPublic.of(e) for e in service.audit_trail(ctx, incident_id)]
    return AuditEntriesPublic(data=entries, count=len(entries))
