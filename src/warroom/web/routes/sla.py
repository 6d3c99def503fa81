"""The SLA credits page: the assessment by tier and per customer (searchable), the
liability range and the review; approve or request changes (legal and finance only),
assess and submit (those who may)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.domain.assessment import ReviewRole, parse_role
from warroom.domain.errors import PermissionDenied
from warroom.domain.incident import Incident
from warroom.domain.permissions import Action, allowed
from warroom.domain.sla import CustomerCredit
from warroom.formats.customer_registry import open_registry
from warroom.formats.sla_policy import read_policy_file
from warroom.services import incidents as incident_service
from warroom.services import sla as service
from warroom.services.sla import Assessment
from warroom.web import forms
from warroom.web.auth import Form, Viewer, check_csrf, read_form, require_viewer, server_of
from warroom.web.responses import act, show, with_notice
from warroom.web.templating import page

router = APIRouter()

LINES_PER_PAGE = 100


@page("sla.html")
@dataclass(frozen=True)
class SlaPage:
    """The assessment as the person may see it (`hidden`: why they may not yet)."""

    incident: Incident
    assessment: Assessment | None
    hidden: str | None  # the refusal's sentence when the figures are not theirs to see
    rows: list[CustomerCredit]  # this page of the customers matching `q`
    matching: int  # how many customers match `q`, on every page
    q: str
    page_number: int
    pages: int
    approvals: dict[str, str]  # review role -> who approved in it
    review_roles: tuple[str, ...]  # the review roles the person may act in now
    may_assess: bool
    policies: tuple[str, ...]
    customers: tuple[str, ...]


def sla_page(
    request: Request, viewer: Viewer, incident_id: str, q: str = "", page_number: int = 1
) -> SlaPage:
    incident = incident_service.get_incident(viewer.ctx, incident_id)
    hidden = None
    try:
        found = service.find_assessment(viewer.ctx, incident_id, limit=0)
    except PermissionDenied as refusal:
        found, hidden = None, refusal.message
    q = q.strip()[:200]
    rows: list[CustomerCredit] = []
    matching, pages = 0, 1
    if found is not None:
        # the search and the page are the database's: a registry may hold a million lines
        lines = service.list_lines(
            viewer.ctx,
            incident_id,
            search=q or None,
            offset=(page_number - 1) * LINES_PER_PAGE,
            limit=LINES_PER_PAGE,
        )
        rows, matching = lines.lines, lines.total
        pages = max(1, -(-matching // LINES_PER_PAGE))
    roles: tuple[str, ...] = ()
    if (
        found is not None
        and found.review.state.value == "pending_review"
        and allowed(Action.SLA_REVIEW, viewer.roles)
    ):
        roles = tuple(
            r.value
            for r in ReviewRole
            if viewer.holds(r.value) and found.review.approval(r) is None
        )
    approvals = {a.role.value: a.by for a in found.review.approvals} if found else {}
    sources = server_of(request).sources
    return SlaPage(
        incident,
        found,
        hidden,
        rows,
        matching,
        q,
        page_number,
        pages,
        approvals,
        roles,
        allowed(Action.SLA_ASSESS, viewer.roles),
        tuple(sorted(sources.policies)),
        tuple(sorted(sources.customers)),
    )


@router.get("/incidents/{incident_id}/sla")
def sla(request: Request, incident_id: str) -> Response:
    viewer = require_viewer(request)
    return show(
        request,
        sla_page(
            request,
            viewer,
            incident_id,
            request.query_params.get("q", ""),
            forms.page_number(request.query_params.get("page")),
        ),
        viewer,
    )


def _post(request: Request, form: Form, incident_id: str, notice: str, work: object) -> Response:
    viewer = require_viewer(request)
    check_csrf(viewer, form)

    def run() -> str:
        work(viewer)  # type: ignore[operator]
        return with_notice(f"/incidents/{incident_id}/sla", notice)

    return act(request, viewer, run, lambda: sla_page(request, viewer, incident_id))


@router.post("/incidents/{incident_id}/sla/approve")
def approve(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    return _post(
        request,
        form,
        incident_id,
        "approved",
        lambda v: service.approve(
            v.ctx,
            incident_id,
            role=parse_role(form.get("role")),
            comment=form.optional("comment"),
            fingerprint=form.optional("fingerprint"),
        ),
    )


@router.post("/incidents/{incident_id}/sla/request-changes")
def request_changes(
    request: Request, incident_id: str, form: Form = Depends(read_form)
) -> Response:
    return _post(
        request,
        form,
        incident_id,
        "changes",
        lambda v: service.request_changes(
            v.ctx, incident_id, role=parse_role(form.get("role")), comment=form.get("comment")
        ),
    )


@router.post("/incidents/{incident_id}/sla/assess")
def assess(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    sources = server_of(request).sources

    def work(viewer: Viewer) -> None:
        policy_path = sources.policy_file(form.get("policy"), "policy")
        policy = read_policy_file(policy_path)
        registry = open_registry(
            sources.customers_location(form.get("customers"), "customers"), policy=policy
        )
        result = service.assess_incident(
            viewer.ctx,
            incident_id,
            policy=policy,
            customers=registry,
            policy_source=str(policy_path),
            customers_source=registry.text,
        )
        if form.get("submit") == "yes" and result.review.state.value in (
            "draft",
            "changes_requested",
        ):
            service.submit(viewer.ctx, incident_id)

    return _post(request, form, incident_id, "assessed", work)


@router.post("/incidents/{incident_id}/sla/submit")
def submit(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    return _post(
        request, form, incident_id, "submitted", lambda v: service.submit(v.ctx, incident_id)
    )
