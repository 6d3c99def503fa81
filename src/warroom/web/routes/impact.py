"""The impact pages: the stored analysis with the error-rate chart and its milestones, a
form that starts a run on a configured log source, and a run's progress."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from warroom.domain.incident import Incident
from warroom.domain.timeline import first_of
from warroom.reports.model import MILESTONE_LABELS
from warroom.services import impact as service
from warroom.services import impact_runs, jobs
from warroom.services import incidents as incident_service
from warroom.store.impact import StoredImpact
from warroom.store.jobs import Job
from warroom.web.auth import Form, Viewer, check_csrf, read_form, require_viewer, server_of
from warroom.web.responses import act, show
from warroom.web.templating import page

router = APIRouter()


@page("impact.html")
@dataclass(frozen=True)
class ImpactPage:
    """The newest impact analysis (if any), its chart, and the run form's choices."""

    incident: Incident
    impact: StoredImpact | None
    chart: Markup | None  # warroom's own SVG (reports.charts), never people's text
    sources: tuple[str, ...]  # request logs configured in WARROOM_SOURCES_FILE
    customers: tuple[str, ...]
    policies: tuple[str, ...]


@page("impact_run.html")
@dataclass(frozen=True)
class ImpactRunPage:
    """One impact run: queued, running (with progress), succeeded or failed."""

    job: Job
    incident_id: str
    refresh: bool  # the page reloads itself while the run is under way


def impact_page(request: Request, viewer: Viewer, incident_id: str) -> ImpactPage:
    incident = incident_service.get_incident(viewer.ctx, incident_id)
    stored = service.latest(viewer.ctx, incident_id)
    chart = None
    if stored is not None and stored.result.series:
        from warroom.reports import charts  # matplotlib: imported when a chart is drawn

        firsts = [first_of(incident.timeline, kind) for kind in MILESTONE_LABELS]
        svg = charts.error_rate_chart(
            [(p.at, p.requests, p.failed) for p in stored.result.series],
            sorted((e.at, MILESTONE_LABELS[e.kind]) for e in firsts if e is not None),
        )
        chart = Markup(svg) if svg else None
    sources = server_of(request).sources
    return ImpactPage(
        incident,
        stored,
        chart,
        tuple(sorted(sources.request_logs)),
        tuple(sorted(sources.customers)),
        tuple(sorted(sources.policies)),
    )


@router.get("/incidents/{incident_id}/impact")
def impact(request: Request, incident_id: str) -> Response:
    viewer = require_viewer(request)
    return show(request, impact_page(request, viewer, incident_id), viewer)


@router.post("/incidents/{incident_id}/impact")
def start_run(request: Request, incident_id: str, form: Form = Depends(read_form)) -> Response:
    viewer = require_viewer(request)
    check_csrf(viewer, form)

    def run() -> str:
        job = impact_runs.start(
            viewer.ctx,
            incident_id,
            server_of(request).sources,
            source=form.get("source"),
            customers=form.optional("customers"),
            policy=form.optional("policy"),
        )
        return f"/impact-runs/{job.id}"

    return act(request, viewer, run, lambda: impact_page(request, viewer, incident_id))


@router.get("/impact-runs/{job_id}")
def run_page(request: Request, job_id: str) -> Response:
    viewer = require_viewer(request)
    job = jobs.get_job(viewer.ctx, job_id, kind=impact_runs.KIND)
    running = job.state in (jobs.QUEUED, jobs.RUNNING)
    return show(request, ImpactRunPage(job, job.incident_id or "", running), viewer)
