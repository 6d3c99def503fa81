"""The report pages: preview each audience's version, download it (md, html, pdf, json),
publish a revision, list the published revisions and compare two of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import Incident
from warroom.domain.permissions import Action, allowed
from warroom.reports import Format
from warroom.reports.render import render
from warroom.services import incidents as incident_service
from warroom.services import reports as service
from warroom.services.reports import RevisionDiff
from warroom.store.reports import Revision
from warroom.web import forms
from warroom.web.auth import Form, Viewer, check_csrf, read_form, require_viewer, server_of
from warroom.web.responses import act, show, with_notice
from warroom.web.templating import page, security_headers

router = APIRouter()

FORMATS = ("md", "html", "pdf", "json")
MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}
# the report's own HTML is self-contained (inline CSS, inline SVG): it may style itself,
# run nothing, fetch nothing, and be framed only by warroom's own report page
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


@page("report.html")
@dataclass(frozen=True)
class ReportPage:
    """One audience's version: its preview and downloads, publishing, the revisions."""

    incident: Incident
    audience: str
    customer: str
    audiences: tuple[str, ...]  # the versions this person may read
    document_query: str  # audience (and customer) of the preview and downloads, or ""
    revisions: list[Revision]
    may_publish: bool


@page("report_diff.html")
@dataclass(frozen=True)
class ReportDiffPage:
    """What changed between two published revisions."""

    incident: Incident
    diff: RevisionDiff
    lines: list[tuple[str, str]]  # (kind: add, del, hunk, same; the line)


def chosen(params: dict[str, str]) -> tuple[Audience, str | None]:
    audience = forms.audience(params.get("audience"), default=Audience.PUBLIC)
    customer = (params.get("customer") or "").strip()[:200] or None
    if audience is Audience.CUSTOMER and customer is None:
        return audience, None
    return audience, customer if audience is Audience.CUSTOMER else None


def report_page(viewer: Viewer, incident_id: str, params: dict[str, str]) -> ReportPage:
    incident = incident_service.get_incident(viewer.ctx, incident_id)
    readable = service.readable_audiences(viewer.ctx, incident_id)
    audience, customer = chosen(params)
    query = ""
    if audience in readable and (audience is not Audience.CUSTOMER or customer):
        query = urlencode(
            {"audience": audience.value, **({"customer": customer} if customer else {})}
        )
    return ReportPage(
        incident,
        audience.value,
        customer or "",
        tuple(a.value for a in readable),
        query,
        service.revisions(viewer.ctx, incident_id),
        allowed(Action.REPORT_PUBLISH, viewer.roles),
    )


@router.get("/incidents/{incident_id}/report")
def report(request: Request, incident_id: str) -> Response:
    viewer = require_viewer(request)
    return show(request, report_page(viewer, incident_id, dict(request.query_params)), viewer)


@router.get("/incidents/{incident_id}/report/document")
def document(request: Request, incident_id: str) -> Response:
    """The report itself (the service refuses an audience the person may not read)."""
    viewer = require_viewer(request)
    params = dict(request.query_params)
    audience, customer = chosen(params)
    fmt = params.get("format", "html")
    if fmt not in FORMATS:
        raise InvalidInput([Problem("format", "bad_format", "format is md, html, pdf or json")])
    model = service.report(
        viewer.ctx,
        incident_id,
        audience,
        customer_id=customer,
        prepared_by=server_of(request).settings.prepared_by,
    )
    content = render(model, cast(Format, fmt))
    name = f"{incident_id}-{audience.value}" + (f"-{customer}" if customer else "")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    disposition = "attachment" if params.get("download") == "1" else "inline"
    response = Response(
        content,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'{disposition}; filename="{safe}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
    return security_headers(response, policy=PREVIEW_POLICY)


@router.post("/incidents/{incident_id}/report/publish")
def publish(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    viewer = require_viewer(request)
    check_csrf(viewer, form)
    params = {"audience": form.get("audience"), "customer": form.get("customer")}

    def run() -> str:
        audience, customer = chosen(params)
        if audience is Audience.CUSTOMER and not customer:
            raise InvalidInput(
                [Problem("customer", "missing", "a customer version needs the customer's ID")]
            )
        service.publish(
            viewer.ctx,
            incident_id,
            audience,
            customer_id=customer,
            prepared_by=server_of(request).settings.prepared_by,
        )
        return with_notice(
            f"/incidents/{incident_id}/report",
            "published",
            audience=audience.value,
            customer=customer or "",
        )

    return act(request, viewer, run, lambda: report_page(viewer, incident_id, params))


@router.get("/incidents/{incident_id}/report/revisions/{number}")
def revision(request: Request, incident_id: str, number: int) -> Response:
    viewer = require_viewer(request)
    found = service.revision(viewer.ctx, incident_id, number)
    response = Response(
        found.markdown,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
    return security_headers(response, policy="default-src 'none'; frame-ancestors 'none'")


@router.get("/incidents/{incident_id}/report/diff")
def diff(request: Request, incident_id: str) -> Response:
    viewer = require_viewer(request)
    params = request.query_params
    old = forms.number(params.get("from"), "from")
    new = forms.number(params.get("to"), "to")
    found = service.diff(viewer.ctx, incident_id, old, new)
    lines = []
    for line in found.diff.splitlines():
        kind = (
            "hunk"
            if line.startswith("@@")
            else "add"
            if line.startswith("+")
            else "del"
            if line.startswith("-")
            else "same"
        )
        lines.append((kind, line))
    incident = incident_service.get_incident(viewer.ctx, incident_id)
    return show(request, ReportDiffPage(incident, found, lines), viewer)
