"""The incident pages: the list (filters, pages), declaring, the incident itself (status,
timeline, roles, root cause, corrective actions, alerts and changes), and its audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import ActionStatus, Classification, Incident, Role
from warroom.domain.lifecycle import Status, allowed_next, parse_status
from warroom.domain.metrics import IncidentMetrics
from warroom.domain.permissions import Action, allowed
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind
from warroom.services import incidents as service
from warroom.services import intake, users
from warroom.services.metrics import metrics_of
from warroom.store.audit import AuditEntry
from warroom.store.intake import StoredAlert, StoredChange
from warroom.web import forms
from warroom.web.auth import Form, Viewer, check_csrf, read_form, require_viewer
from warroom.web.responses import act, show, with_notice
from warroom.web.templating import page

router = APIRouter()

PAGE_SIZE = 25
# kinds people add by hand (status changes write identified, mitigated, resolved)
ENTRY_KINDS = tuple(k.value for k in EntryKind if k is not EntryKind.CHANGE)
REOPEN_TO = (Status.INVESTIGATING.value, Status.IDENTIFIED.value, Status.MONITORING.value)


@dataclass(frozen=True)
class ListFilters:
    status: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    q: str = ""

    def query(self, **extra: Any) -> str:
        pairs: list[tuple[str, Any]] = [("status", s) for s in self.status]
        pairs += [("severity", s) for s in self.severity]
        pairs += [
            (k, v) for k, v in (("since", self.since), ("until", self.until), ("q", self.q)) if v
        ]
        pairs += [(k, v) for k, v in extra.items() if v]
        return urlencode(pairs)


@page("incidents.html")
@dataclass(frozen=True)
class IncidentListPage:
    """Incidents the person may see, newest first, filtered, one page of them."""

    incidents: list[Incident]
    total: int
    filters: ListFilters
    page_number: int
    pages: int
    statuses: tuple[str, ...]
    severities: tuple[str, ...]


@page("declare.html")
@dataclass(frozen=True)
class DeclarePage:
    """The form that opens an incident by hand."""

    severities: tuple[str, ...]
    classifications: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)


@page("incident.html")
@dataclass(frozen=True)
class IncidentPage:
    """One incident: header, status moves, timeline, roles, learning, actions, intake."""

    incident: Incident
    severity_label: str
    metrics: IncidentMetrics
    moves: tuple[str, ...]  # statuses the person may move it to now (empty: none)
    reopen_to: tuple[str, ...]  # when resolved or closed and the person may reopen
    entry_kinds: tuple[str, ...]
    audiences: tuple[str, ...]
    roles: tuple[str, ...]
    action_statuses: tuple[str, ...]
    severities: tuple[str, ...]
    classifications: tuple[str, ...]
    people: tuple[str, ...]
    alerts: list[StoredAlert]
    changes: list[StoredChange]


@page("audit.html")
@dataclass(frozen=True)
class AuditPage:
    """The incident's audit log: every change, who made it, through which door."""

    incident: Incident
    entries: list[AuditEntry]


# -- the list ------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    require_viewer(request)
    return RedirectResponse("/incidents", status_code=303)


def list_page(viewer: Viewer, params: Any) -> IncidentListPage:
    scale = viewer.ctx.scale
    statuses = tuple(parse_status(s).value for s in params.getlist("status") if s)
    severities = tuple(scale.parse(s) for s in params.getlist("severity") if s)
    filters = ListFilters(
        statuses,
        severities,
        forms.day(params.get("since"), "since"),
        forms.day(params.get("until"), "until"),
        (params.get("q") or "").strip()[:200],
    )
    number = forms.page_number(params.get("page"))
    found = service.list_page(
        viewer.ctx,
        status=list(statuses) or None,
        severity=list(severities) or None,
        since=filters.since,
        until=filters.until,
        text=filters.q or None,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-found.total // PAGE_SIZE))
    return IncidentListPage(
        found.incidents,
        found.total,
        filters,
        number,
        pages,
        tuple(s.value for s in Status),
        scale.names,
    )


@router.get("/incidents")
def incidents(request: Request) -> Response:
    viewer = require_viewer(request)
    return show(request, list_page(viewer, request.query_params), viewer)


# -- declaring -----------------------------------------------------------------------------


def declare_page(viewer: Viewer, values: dict[str, str] | None = None) -> DeclarePage:
    return DeclarePage(viewer.ctx.scale.names, tuple(c.value for c in Classification), values or {})


@router.get("/incidents/new")
def declare_form(request: Request) -> Response:
    viewer = require_viewer(request)
    return show(request, declare_page(viewer), viewer)


@router.post("/incidents")
def declare(request: Request, form: Form = Depends(read_form)) -> Response:
    viewer = require_viewer(request)
    check_csrf(viewer, form)

    def run() -> str:
        try:
            classification = Classification(form.get("classification", "internal"))
        except ValueError:
            raise InvalidInput(
                [Problem("classification", "bad_classification", "unknown classification")]
            ) from None
        incident = service.declare(
            viewer.ctx,
            title=form.get("title"),
            severity=form.get("severity"),
            detected_at=forms.utc_time(form.get("detected_at"), "detected_at"),
            commander=form.optional("commander"),
            classification=classification,
            scope=Scope(
                regions=forms.names(form.get("regions")), services=forms.names(form.get("services"))
            ),
            description=form.optional("description"),
        )
        return with_notice(f"/incidents/{incident.id}", "declared")

    values = {
        k: form.get(k)[:2000]
        for k in (
            "title",
            "severity",
            "detected_at",
            "commander",
            "classification",
            "regions",
            "services",
            "description",
        )
    }
    return act(request, viewer, run, lambda: declare_page(viewer, values))


# -- one incident --------------------------------------------------------------------------


def incident_page(viewer: Viewer, incident_id: str) -> IncidentPage:
    ctx = viewer.ctx
    incident = service.get_incident(ctx, incident_id)
    moves: tuple[str, ...] = ()
    if allowed(Action.INCIDENT_STATUS, viewer.roles):
        moves = tuple(s.value for s in Status if s in allowed_next(incident.status))
    reopen: tuple[str, ...] = ()
    if not incident.status.is_active and allowed(Action.INCIDENT_REOPEN, viewer.roles):
        reopen = REOPEN_TO
    return IncidentPage(
        incident=incident,
        severity_label=ctx.scale.label_of(incident.severity),
        metrics=metrics_of(incident),
        moves=moves,
        reopen_to=reopen,
        entry_kinds=ENTRY_KINDS,
        audiences=tuple(a.value for a in Audience),
        roles=tuple(r.value for r in Role),
        action_statuses=tuple(s.value for s in ActionStatus),
        severities=ctx.scale.names,
        classifications=tuple(c.value for c in Classification),
        people=tuple(u.name for u in users.list_users(ctx)),
        alerts=intake.alerts_of(ctx, incident_id),
        changes=intake.changes_of(ctx, incident_id),
    )


@router.get("/incidents/{incident_id}")
def incident(request: Request, incident_id: str) -> Response:
    viewer = require_viewer(request)
    return show(request, incident_page(viewer, incident_id), viewer)


def _post(request: Request, form: Form, incident_id: str, notice: str, work: Any) -> Response:
    viewer = require_viewer(request)
    check_csrf(viewer, form)

    def run() -> str:
        work(viewer)
        return with_notice(f"/incidents/{incident_id}", notice)

    return act(request, viewer, run, lambda: incident_page(viewer, incident_id))


@router.post("/incidents/{incident_id}/status")
def change_status(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    return _post(
        request,
        form,
        incident_id,
        "status",
        lambda v: service.change_status(
            v.ctx,
            incident_id,
            parse_status(form.get("status")),
            message=form.optional("message"),
            audience=Audience.PUBLIC if form.get("public") == "yes" else Audience.INTERNAL,
        ),
    )


@router.post("/incidents/{incident_id}/reopen")
def reopen(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    return _post(
        request,
        form,
        incident_id,
        "reopened",
        lambda v: service.reopen(
            v.ctx, incident_id, parse_status(form.get("status")), reason=form.get("reason")
        ),
    )


@router.post("/incidents/{incident_id}/timeline")
def add_entry(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    def work(viewer: Viewer) -> None:
        try:
            kind = EntryKind(form.get("kind", "update"))
        except ValueError:
            raise InvalidInput([Problem("kind", "bad_kind", "unknown kind of entry")]) from None
        text = form.get("text")
        if not text.strip():
            raise InvalidInput([Problem("text", "missing", "a timeline entry needs text")])
        service.add_event(
            viewer.ctx,
            incident_id,
            kind=kind,
            text=text,
            at=forms.utc_time(form.get("at"), "at"),
            audience=forms.audience(form.get("audience")),
        )

    return _post(request, form, incident_id, "entry", work)


@router.post("/incidents/{incident_id}/roles")
def assign(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    def work(viewer: Viewer) -> None:
        try:
            role = Role(form.get("role"))
        except ValueError:
            raise InvalidInput([Problem("role", "bad_role", "unknown incident role")]) from None
        service.assign(viewer.ctx, incident_id, role, form.optional("person"))

    return _post(request, form, incident_id, "roles", work)


@router.post("/incidents/{incident_id}/update")
def update(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    def work(viewer: Viewer) -> None:
        classification = None
        if form.optional("classification"):
            try:
                classification = Classification(form.get("classification"))
            except ValueError:
                raise InvalidInput(
                    [Problem("classification", "bad_classification", "unknown classification")]
                ) from None
        scope = None
        if form.has("regions") or form.has("services"):
            scope = Scope(
                regions=forms.names(form.get("regions")), services=forms.names(form.get("services"))
            )
        service.update(
            viewer.ctx,
            incident_id,
            service.IncidentChanges(
                title=form.optional("title"),
                severity=form.optional("severity"),
                classification=classification,
                scope=scope,
                summary=form.optional("summary"),
                public_summary=form.optional("public_summary"),
                root_cause=form.optional("root_cause"),
                public_root_cause=form.optional("public_root_cause"),
                contributing_factors=forms.lines(form.get("contributing_factors"))
                if form.has("contributing_factors")
                else None,
            ),
        )

    notice = "learning" if form.get("part") == "learning" else "details"
    return _post(request, form, incident_id, notice, work)


@router.post("/incidents/{incident_id}/actions")
def add_action(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    return _post(
        request,
        form,
        incident_id,
        "action",
        lambda v: service.add_action(
            v.ctx,
            incident_id,
            title=form.get("title"),
            owner=form.optional("owner"),
            due=forms.day(form.get("due"), "due"),
            audience=forms.audience(form.get("audience")),
        ),
    )


@router.post("/incidents/{incident_id}/actions/{number}")
def update_action(
    request: Request, incident_id: str, number: int, form: Form = Depends(read_form)
) -> Response:
    def work(viewer: Viewer) -> None:
        changes: dict[str, Any] = {}
        if form.has("title"):
            title = form.get("title").strip()
            if not title:
                raise InvalidInput(
                    [Problem("title", "missing", "a corrective action needs a title")]
                )
            changes["title"] = title
        if form.has("owner"):
            changes["owner"] = form.optional("owner")
        if form.has("due"):
            changes["due"] = forms.day(form.get("due"), "due")
        if form.has("status"):
            try:
                changes["status"] = ActionStatus(form.get("status"))
            except ValueError:
                raise InvalidInput(
                    [Problem("status", "bad_status", "unknown action status")]
                ) from None
        if form.has("audience"):
            changes["audience"] = forms.audience(form.get("audience"))
        service.update_action(viewer.ctx, incident_id, number, **changes)

    return _post(request, form, incident_id, "action_saved", work)


@router.get("/incidents/{incident_id}/audit")
def audit(request: Request, incident_id: str) -> Response:
    viewer = require_viewer(request)
    entries = service.audit_trail(viewer.ctx, incident_id)
    return show(
        request,
        AuditPage(service.get_incident(viewer.ctx, incident_id), list(reversed(entries))),
        viewer,
    )
