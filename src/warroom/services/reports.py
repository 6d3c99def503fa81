"""Report use cases: an incident's report for one audience, published revisions, their diff.

The report is built from the record, the newest impact analysis and the SLA assessment
(`reports.build`); publishing keeps the report exactly as it was published, numbered,
with who and when, and "last updated" comes from it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sqlalchemy import Connection

from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from warroom.domain.permissions import Action, report_audience_allowed
from warroom.domain.window import iso_z
from warroom.reports.build import (
    ReportInputs,
    RevisionStamp,
    SlaInputs,
    build_report,
    restamp,
)
from warroom.reports.model import ReportModel
from warroom.reports.render import render_markdown, to_json
from warroom.services import sla
from warroom.services.access import Principal, authorize, record
from warroom.services.context import Context
from warroom.store import impact as impact_store
from warroom.store import incidents as incident_repo
from warroom.store import reports as store
from warroom.store.database import lock
from warroom.store.reports import Revision


def report(
    ctx: Context,
    incident_id: str,
    audience: Audience,
    *,
    customer_id: str | None = None,
    prepared_by: str | None = None,
) -> ReportModel:
    """The report as the data stands now, stamped with its published revision when it is
    the same as that revision, else marked as a draft."""
    with ctx.db.reading() as conn:
        _reader(conn, ctx, incident_id, audience)
        inputs = _inputs(conn, ctx, incident_id, prepared_by, customer_id)
        latest = store.latest(conn, incident_id, audience.value, customer_id)
    return _current(inputs, audience, customer_id, latest)


def _reader(conn: Connection, ctx: Context, incident_id: str, audience: Audience) -> Principal:
    """The acting person, when they may read `audience`'s version of the incident's report
    (`domain.permissions.report_audience_allowed`: the audience rules, one definition)."""
    incident = incident_repo.get(conn, incident_id)
    who = authorize(conn, ctx, Action.INCIDENT_READ, incident=incident)
    assessment = sla.assessment_in(conn, incident_id, limit=0)
    approved = assessment is None or assessment.review.is_approved
    if not report_audience_allowed(audience, who.roles, credits_approved=approved):
        raise PermissionDenied(
            f"{who.name} may not read the {audience.value} version of {incident_id}'s report"
            + (
                " before legal and finance approve its credits"
                if audience is Audience.INTERNAL
                else ""
            )
        )
    return who


def publish(
    ctx: Context,
    incident_id: str,
    audience: Audience,
    *,
    customer_id: str | None = None,
    prepared_by: str | None = None,
) -> Revision:
    """Store the report as revision N+1 of the incident (refused when nothing changed).
    Two people publishing at once get revisions N+1 and N+2, or (the same text) one
    revision and a "nothing changed"."""

    def work(conn: Connection) -> Revision:
        now = ctx.now()
        lock(conn, f"incident:{incident_id}", f"report:{incident_id}")
        incident = incident_repo.get(conn, incident_id)
        who = authorize(conn, ctx, Action.REPORT_PUBLISH, incident=incident)
        _reader(conn, ctx, incident_id, audience)
        draft = build_report(
            _inputs(conn, ctx, incident_id, prepared_by, customer_id),
            audience,
            customer_id=customer_id,
        )
        latest = store.latest(conn, incident_id, audience.value, customer_id)
        if latest is not None and _is_published(
            restamp(draft, revision=RevisionStamp(latest.number, latest.published_at)), latest
        ):
            raise Conflict(
                f"nothing changed since revision {latest.number} of the "
                f"{_label(audience.value, customer_id)}; it stays as published"
            )
        number = store.next_number(conn, incident_id)
        model = restamp(draft, revision=RevisionStamp(number, now))
        revision = Revision(
            incident_id=incident_id,
            number=number,
            audience=audience.value,
            customer_id=customer_id,
            published_at=now,
            published_by=who.name,
            data=to_json(model),
            markdown=render_markdown(model),
        )
        store.add(conn, revision)
        record(
            conn,
            ctx,
            who,
            action="report.publish",
            entity_type="incident",
            entity_id=incident_id,
            changes={"revision": number, "audience": audience.value, "customer_id": customer_id},
        )
        return revision

    return ctx.db.write(work)


def revisions(ctx: Context, incident_id: str) -> list[Revision]:
    """The published revisions of the versions the acting person may read."""
    with ctx.db.reading() as conn:
        found = store.all_for(conn, incident_id)
        _reader(conn, ctx, incident_id, Audience.PUBLIC)
        readable = {a for a in Audience if _may_read(conn, ctx, incident_id, a)}
        return [r for r in found if Audience(r.audience) in readable]


def readable_audiences(ctx: Context, incident_id: str) -> list[Audience]:
    """The audiences whose version of the report the acting person may read (widest
    first); refused when they may not read the incident at all."""
    with ctx.db.reading() as conn:
        _reader(conn, ctx, incident_id, Audience.PUBLIC)
        return [a for a in Audience if _may_read(conn, ctx, incident_id, a)]


def _may_read(conn: Connection, ctx: Context, incident_id: str, audience: Audience) -> bool:
    try:
        _reader(conn, ctx, incident_id, audience)
    except PermissionDenied:
        return False
    return True


def revision(
    ctx: Context,
    incident_id: str,
    number: int,
    *,
    audience: Audience | None = None,
    customer_id: str | None = None,
) -> Revision:
    """Revision `number` as published; with `audience`, only when it is that audience's
    (and that customer's) version, so asking for the public text never prints another."""
    with ctx.db.reading() as conn:
        incident_repo.get(conn, incident_id)
        found = store.get(conn, incident_id, number)
        if found is not None:
            _reader(conn, ctx, incident_id, Audience(found.audience))
        else:
            _reader(conn, ctx, incident_id, Audience.PUBLIC)
    if found is None:
        raise NotFound(
            f"incident {incident_id} has no report revision {number}: "
            f"`warroom report revisions {incident_id}` lists them"
        )
    if audience is not None and (
        found.audience != audience.value or found.customer_id != customer_id
    ):
        raise InvalidInput(
            [
                Problem(
                    "--revision",
                    "other_audience",
                    f"revision {number} of {incident_id} is the "
                    f"{_label(found.audience, found.customer_id)}, not the "
                    f"{_label(audience.value, customer_id)}: ask for it with --audience "
                    f"{found.audience}"
                    + (f" --customer {found.customer_id}" if found.customer_id else ""),
                )
            ]
        )
    return found


@dataclass(frozen=True)
class RevisionDiff:
    """What changed between two published revisions, as a unified diff of their Markdown."""

    old: Revision
    new: Revision
    sections_changed: tuple[str, ...]  # headings whose text differs, in the newer order
    diff: str  # empty when the two are the same

    def to_data(self) -> dict[str, object]:
        return {
            "incident_id": self.new.incident_id,
            "from": _stamp(self.old),
            "to": _stamp(self.new),
            "sections_changed": list(self.sections_changed),
            "diff": self.diff,
        }


def diff(ctx: Context, incident_id: str, old: int, new: int) -> RevisionDiff:
    if old == new:
        raise InvalidInput([Problem("REV2", "same_revision", "compare two different revisions")])
    first, second = revision(ctx, incident_id, old), revision(ctx, incident_id, new)
    lines = difflib.unified_diff(
        first.markdown.splitlines(keepends=True),
        second.markdown.splitlines(keepends=True),
        fromfile=_header(first),
        tofile=_header(second),
    )
    before, after = _sections(first.markdown), _sections(second.markdown)
    changed = tuple(
        name
        for name in [*after, *(n for n in before if n not in after)]
        if before.get(name) != after.get(name)
    )
    return RevisionDiff(first, second, changed, "".join(lines))


# -- plumbing --------------------------------------------------------------------------------


def report_inputs(conn: Connection, ctx: Context, incident_id: str) -> ReportInputs:
    """What the incident's reports draw on, read inside an open transaction: the
    assessment's totals without its lines (customer notices narrow it to one customer
    at a time, with that customer's line)."""
    return _inputs(conn, ctx, incident_id, None, None)


def _inputs(
    conn: Connection,
    ctx: Context,
    incident_id: str,
    prepared_by: str | None,
    customer_id: str | None,
) -> ReportInputs:
    """What the report of `customer_id` (or a staff or public version, None) draws on:
    the assessment's totals, that customer's line alone, and the registry entries of that
    customer and of the affected ones (as many as the impact analysis names, whatever the
    size of the registry)."""
    incident = incident_repo.get(conn, incident_id)
    stored_impact = impact_store.latest(conn, incident_id)
    assessment = sla.assessment_in(conn, incident_id, limit=0, customer_id=customer_id)
    registered: list[Customer] = []
    if assessment is not None:
        wanted = (
            [c.customer_id for c in stored_impact.result.per_customer if c.affected]
            if stored_impact
            else []
        )
        registered = sla.registered(
            conn, incident_id, [*wanted, customer_id] if customer_id else wanted
        )
    try:
        label: str | None = ctx.scale.get(incident.severity).label
    except KeyError:  # a severity the configured scale no longer defines
        label = None
    return ReportInputs(
        incident=incident,
        generated_at=ctx.now(),
        severity_label=label,
        impact=stored_impact.result if stored_impact else None,
        impact_customers_total=stored_impact.customers_total if stored_impact else None,
        sla=SlaInputs(
            result=assessment.result,
            review=assessment.review,
            policy=assessment.policy,
            customers=tuple(registered),
        )
        if assessment
        else None,
        # the same for whoever renders it, so a report does not look changed per reader
        prepared_by=prepared_by or incident.commander,
    )


def _current(
    inputs: ReportInputs, audience: Audience, customer_id: str | None, latest: Revision | None
) -> ReportModel:
    model = build_report(inputs, audience, customer_id=customer_id)
    if latest is None:
        return model
    stamp = RevisionStamp(latest.number, latest.published_at)
    stamped = restamp(model, revision=stamp)
    return stamped if _is_published(stamped, latest) else restamp(model, previous=stamp)


def _is_published(stamped: ReportModel, latest: Revision) -> bool:
    """The same text and the same exact figures (Markdown rounds some, leaves some out)."""
    return render_markdown(stamped) == latest.markdown and _settled(to_json(stamped)) == _settled(
        latest.data
    )


def _settled(data: dict[str, object]) -> dict[str, object]:
    """A report's JSON without the time it was rendered at."""
    return {key: value for key, value in data.items() if key != "generated_at"}


def _label(audience: str, customer_id: str | None) -> str:
    return f"{audience} version" + (f" for {customer_id}" if customer_id else "")


def _header(revision: Revision) -> str:
    when = revision.published_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"revision {revision.number} ({_label(revision.audience, revision.customer_id)}, "
        f"{when}, {revision.published_by})"
    )


def _stamp(revision: Revision) -> dict[str, object]:
    return {
        "number": revision.number,
        "audience": revision.audience,
        "customer_id": revision.customer_id,
        "published_at": iso_z(revision.published_at),
        "published_by": revision.published_by,
    }


_HEADING = re.compile(r"^#{1,2} (.+)$", re.MULTILINE)
_STAMP = re.compile(r"^\*?(Report prepared by|Last updated|Draft generated).*$", re.MULTILINE)


def _sections(markdown: str) -> dict[str, str]:
    """The Markdown's text by heading ("Timeline (UTC)" → its lines), without the
    footer's revision stamp (which differs between any two revisions)."""
    parts = _HEADING.split(_STAMP.sub("", markdown))
    found = {"(top)": parts[0]}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        found[name.strip()] = body
    return found
