"""/api/v1/incidents/{id}/report: the report per audience (md, html, pdf, json), publishing,
published revisions and the diff between two of them."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from warroom.api.deps import ActingContext, JsonContext, ServerDep
from warroom.api.routes import API_PREFIX
from warroom.domain.audience import Audience
from warroom.reports.render import render
from warroom.schemas.reports import RevisionDiffPublic, RevisionPublic, RevisionsPublic
from warroom.schemas.requests import Publish
from warroom.services import reports as service

router = APIRouter(prefix=API_PREFIX + "/incidents/{incident_id}/report", tags=["reports"])

MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}
_DOCUMENTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/markdown": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object"}},
        }
    }
}
MAX_NUMBER = 1_000_000  # revision and action numbers: far beyond any real count
Number = Annotated[int, Path(ge=1, le=MAX_NUMBER)]
CustomerQuery = Annotated[
    str | None,
    Query(
        max_length=200, description=("The customer a customer version is for (its registry ID).")
    ),
]


def _document(content: str | bytes, fmt: str, name: str) -> Response:
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'inline; filename="{name}.{fmt}"'},
    )


@router.get(
    "",
    response_class=Response,
    responses=_DOCUMENTS,
    summary="The report for an audience, from the data as it stands",
)
def get_report(
    ctx: ActingContext,
    srv: ServerDep,
    incident_id: str,
    audience: Audience = Audience.INTERNAL,
    customer: CustomerQuery = None,
    format: Literal["md", "html", "pdf", "json"] = "md",
) -> Response:
    model = service.report(
        ctx, incident_id, audience, customer_id=customer, prepared_by=srv.settings.prepared_by
    )
    return _document(render(model, format), format, f"{incident_id}-{audience.value}")


@router.post(
    "/publish",
    response_model=RevisionPublic,
    status_code=201,
    summary="Publish the report as it stands (a numbered revision)",
)
def publish(ctx: JsonContext, srv: ServerDep, incident_id: str, body: Publish) -> RevisionPublic:
    stored = service.publish(
        ctx,
        incident_id,
        body.audience,
        customer_id=body.customer,
        prepared_by=body.prepared_by or srv.settings.prepared_by,
    )
    return RevisionPublic.of(stored)


@router.get(
    "/revisions",
    response_model=RevisionsPublic,
    summary="The published revisions the caller may read",
)
def list_revisions(ctx: ActingContext, incident_id: str) -> RevisionsPublic:
    found = [RevisionPublic.of(r) for r in service.revisions(ctx, incident_id)]
    return RevisionsPublic(data=found, count=len(found))


@router.get(
    "/revisions/{number}",
    response_class=Response,
    responses=_DOCUMENTS,
    summary="A published revision, exactly as published (md or json)",
)
def get_revision(
    ctx: ActingContext, incident_id: str, number: Number, format: Literal["md", "json"] = "md"
) -> Response:
    stored = service.revision(ctx, incident_id, number)
    content = (
        stored.markdown
        if format == "md"
        else json.dumps(stored.data, indent=2, ensure_ascii=False) + "\n"
    )
    return _document(content, format, f"{incident_id}-revision-{number}")


@router.get(
    "/diff",
    response_model=RevisionDiffPublic,
    summary="What changed between two published revisions",
)
def diff_revisions(
    ctx: ActingContext,
    incident_id: str,
    from_: Annotated[
        int, Query(alias="from", ge=1, le=MAX_NUMBER, description="The older revision")
    ],
    to: Annotated[int, Query(ge=1, le=MAX_NUMBER, description="The newer revision")],
) -> RevisionDiffPublic:
    return RevisionDiffPublic.of(service.diff(ctx, incident_id, from_, to).to_data())
