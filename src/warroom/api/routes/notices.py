"""/api/v1/incidents/{id}/notices: customer notices (queue, follow, retry) and
/api/v1/maintenance: maintenance records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path

from warroom.api.deps import ActingContext, JsonContext
from warroom.api.routes import API_PREFIX
from warroom.domain.scope import Scope
from warroom.schemas.notify import (
    MaintenanceCreate,
    MaintenanceList,
    MaintenancePublic,
    NoticePreview,
    NoticeRetried,
    NoticeRetry,
    NoticeSend,
    NoticesQueued,
    NoticesStatusPublic,
)
from warroom.services import maintenance, notices

router = APIRouter(prefix=API_PREFIX + "/incidents/{incident_id}/notices", tags=["notices"])
maintenance_router = APIRouter(prefix=API_PREFIX + "/maintenance", tags=["maintenance"])

RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "",
    response_model=NoticesQueued,
    status_code=202,
    summary="Queue each affected customer's notice (approved credits only)",
)
def send_notices(ctx: JsonContext, incident_id: str, body: NoticeSend) -> NoticesQueued:
    if body.dry_run:
        previews: list[NoticePreview] = []
        revision = ""
        for draft in notices.drafts(ctx, incident_id, customer_id=body.customer_id):
            revision = draft.message.revision or ""
            previews.append(
                NoticePreview(
                    customer_id=draft.customer_id,
                    channel=draft.channel,
                    recipient=draft.message.recipient,
                    subject=draft.message.subject,
                )
            )
        return NoticesQueued(
            incident_id=incident_id,
            revision=revision,
            dry_run=True,
            messages=len(previews),
            customers=len({p.customer_id for p in previews}),
            already_queued=0,
            without_contact=[],
            not_affected=0,
            previews=previews,
        )
    queued = notices.send_notices(ctx, incident_id, customer_id=body.customer_id, again=body.again)
    return NoticesQueued(
        incident_id=incident_id,
        revision=queued.revision,
        dry_run=False,
        messages=queued.messages,
        customers=queued.customers,
        already_queued=queued.already,
        without_contact=list(queued.without_contact),
        not_affected=queued.not_affected,
    )


@router.get("", response_model=NoticesStatusPublic, summary="Where each customer's notices stand")
def notice_status(ctx: ActingContext, incident_id: str) -> NoticesStatusPublic:
    found = notices.notice_status(ctx, incident_id)
    return NoticesStatusPublic.of(incident_id, found, notices.summary(found))


@router.post(
    "/retry",
    response_model=NoticeRetried,
    summary="Queue failed (and, when asked, uncertain) notices again",
)
def retry_notices(ctx: JsonContext, incident_id: str, body: NoticeRetry) -> NoticeRetried:
    count = notices.retry(ctx, incident_id, customer_id=body.customer_id, uncertain=body.uncertain)
    return NoticeRetried(incident_id=incident_id, messages=count)


@maintenance_router.get(
    "",
    response_model=MaintenanceList,
    summary="Maintenance windows not over yet (all=true: every one)",
)
def list_maintenance(ctx: ActingContext, all: bool = False) -> MaintenanceList:
    found = maintenance.list_maintenance(ctx, since=None if all else ctx.now())
    return MaintenanceList(data=[MaintenancePublic.of(r) for r in found], count=len(found))


@maintenance_router.post(
    "",
    response_model=MaintenancePublic,
    status_code=201,
    summary="Schedule a maintenance window (and announce it)",
)
def schedule(ctx: JsonContext, body: MaintenanceCreate) -> MaintenancePublic:
    return MaintenancePublic.of(
        maintenance.schedule(
            ctx,
            title=body.title,
            starts_at=_utc(body.starts_at),
            ends_at=_utc(body.ends_at),
            scope=Scope(
                services=tuple(body.services) if body.services is not None else None,
                regions=tuple(body.regions) if body.regions is not None else None,
            ),
            description=body.description,
            announce=body.announce,
            announced_at=_utc(body.announced_at) if body.announced_at else None,
        )
    )


@maintenance_router.get(
    "/{record_id}", response_model=MaintenancePublic, summary="One maintenance window"
)
def get_maintenance(ctx: ActingContext, record_id: RecordId) -> MaintenancePublic:
    return MaintenancePublic.of(maintenance.get_maintenance(ctx, record_id))


@maintenance_router.post(
    "/{record_id}/announce",
    response_model=MaintenancePublic,
    summary="Announce a window now (status page, subscribers)",
)
def announce(ctx: JsonContext, record_id: RecordId) -> MaintenancePublic:
    return MaintenancePublic.of(maintenance.announce(ctx, record_id))


@maintenance_router.post(
    "/{record_id}/cancel",
    response_model=MaintenancePublic,
    summary="Cancel a window (it excuses nothing)",
)
def cancel(ctx: JsonContext, record_id: RecordId) -> MaintenancePublic:
    return MaintenancePublic.of(maintenance.cancel(ctx, record_id))


def _utc(value: datetime) -> datetime:
    from warroom.domain.window import require_utc

    return require_utc(value)
