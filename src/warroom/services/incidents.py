"""Incident use cases: declare, import, export, change status, assign, timeline, actions.

What a change sets off — the audit document (`formats.incident_file`), SLA
revalidation, status-page subscribers, changes shown as possible triggers — is imported
by the functions that change incidents, not by this module: reading an incident (the
commands a responder types most) does not load it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import (
    ActionStatus,
    Classification,
    CorrectiveAction,
    Incident,
    Role,
    check_consistent,
    make_incident_id,
)
from warroom.domain.lifecycle import Status
from warroom.domain.permissions import Action
from warroom.domain.scope import Scope
from warroom.domain.text import text_problem
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.domain.window import iso_z, require_utc
from warroom.services.access import Principal, authorize, record
from warroom.services.context import Context
from warroom.store import audit
from warroom.store import incidents as repo
from warroom.store.database import lock
from warroom.store.users import name_key

if TYPE_CHECKING:
    from warroom.formats.incident_file import ParsedIncident

# The most incidents one page of a list holds (the API's ?limit=).
MAX_PAGE = 1000
# Incidents loaded together when a list is read whole.
LOAD_CHUNK = 500
# Incident IDs carry a four-digit year; nothing was detected before this one.
EARLIEST_YEAR = 1970

# -- reading ---------------------------------------------------------------------------------


def get_incident(ctx: Context, incident_id: str) -> Incident:
    with ctx.db.reading() as conn:
        return readable(conn, ctx, incident_id)


def readable(
    conn: Connection, ctx: Context, incident_id: str, action: Action = Action.INCIDENT_READ
) -> Incident:
    """The incident, when the acting person may see it and do `action` on it."""
    incident = repo.get(conn, incident_id)
    authorize(conn, ctx, action, incident=incident)
    return incident


def list_incidents(
    ctx: Context,
    *,
    status: list[str] | None = None,
    severity: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Incident]:
    """Incidents the acting person may see, newest first; `limit`/`offset` page them (in
    the database: a page costs the same however many incidents there are)."""
    _check_page(limit, offset)
    with ctx.db.reading() as conn:
        who = authorize(conn, ctx, Action.INCIDENT_READ)
        filters = visible(conn, ctx, who, repo.Filters(status, severity, since, until))
        ids = repo.list_ids(conn, filters=filters, limit=limit, offset=offset)
        found: list[Incident] = []
        for start in range(0, len(ids), LOAD_CHUNK):  # a few queries a chunk, not per incident
            found.extend(repo.get_many(conn, ids[start : start + LOAD_CHUNK]))
        return found


def count_incidents(
    ctx: Context,
    *,
    status: list[str] | None = None,
    severity: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> int:
    """How many incidents `list_incidents` holds without a limit (counted by the database)."""
    with ctx.db.reading() as conn:
        who = authorize(conn, ctx, Action.INCIDENT_READ)
        return repo.count(
            conn, visible(conn, ctx, who, repo.Filters(status, severity, since, until))
        )


@dataclass(frozen=True)
class IncidentPage:
    """One page of a list: its incidents, and how many match in all."""

    incidents: list[Incident]
    total: int


def list_page(
    ctx: Context,
    *,
    status: list[str] | None = None,
    severity: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
    offset: int = 0,
    text: str | None = None,
) -> IncidentPage:
    """A page of the incidents the acting person may see, newest first, and how many
    there are (the API's list), read in one transaction; `text` keeps those whose title
    or ID contains it (any case)."""
    _check_page(limit, offset)
    with ctx.db.reading() as conn:
        who = authorize(conn, ctx, Action.INCIDENT_READ)
        filters = visible(conn, ctx, who, repo.Filters(status, severity, since, until, text=text))
        total = repo.count(conn, filters)
        ids = repo.list_ids(conn, filters=filters, limit=limit, offset=offset)
        return IncidentPage(repo.get_many(conn, ids), total)


def status_filter(statuses: list[str] | None, *, active: bool) -> list[str] | None:
    """The statuses a list asks for: with `active`, only unresolved ones (those of
    `statuses` when given); None means any."""
    if not active:
        return statuses or None
    return [s.value for s in Status if s.is_active and (not statuses or s.value in statuses)]


def _check_page(limit: int | None, offset: int) -> None:
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            [Problem("limit", "out_of_range", f"limit must be between 1 and {MAX_PAGE}")]
        )
    if offset < 0:
        raise InvalidInput([Problem("offset", "out_of_range", "offset cannot be negative")])


def visible(conn: Connection, ctx: Context, who: Principal, filters: repo.Filters) -> repo.Filters:
    """`filters` narrowed to what `who` may see, in the query itself (`access.may_view`'s
    rule): for a person without a role that reads every confidential incident, the names
    on the confidential matches are read first, and only those the person is named on
    stay."""
    if not who.roles.isdisjoint(ctx.confidential_roles):
        return filters
    me = name_key(who.name)
    named = frozenset(
        i for i, names in repo.names_on(conn, filters).items() if me in {name_key(n) for n in names}
    )
    return dataclasses.replace(filters, confidential_only=named)


def audit_trail(ctx: Context, incident_id: str) -> list[audit.AuditEntry]:
    with ctx.db.reading() as conn:
        readable(conn, ctx, incident_id, Action.AUDIT_READ)
        return audit.entries(conn, entity_id=incident_id)


# -- creating --------------------------------------------------------------------------------


def declare(
    ctx: Context,
    *,
    title: str,
    severity: str,
    detected_at: datetime | None = None,
    commander: str | None = None,
    scope: Scope | None = None,
    classification: Classification = Classification.INTERNAL,
    status: Status = Status.INVESTIGATING,
    description: str | None = None,
) -> Incident:
    """Open an incident by hand: a `detected` and a `declared` entry start its timeline."""
    now = ctx.now()
    detected = require_utc(detected_at) if detected_at else now
    if detected.year < EARLIEST_YEAR:
        raise InvalidInput(
            [
                Problem(
                    "detected_at",
                    "too_early",
                    f"detection time {iso_z(detected, timespec='seconds')} "
                    f"is before {EARLIEST_YEAR}; give the time it was detected",
                )
            ]
        )
    if detected > now:
        raise InvalidInput(
            [
                Problem(
                    "detected_at",
                    "in_future",
                    f"detection time {iso_z(detected, timespec='seconds')} is in the future",
                )
            ]
        )
    _check_title(title)
    if status not in (Status.DECLARED, Status.TRIAGE, Status.INVESTIGATING):
        raise InvalidInput(
            [
                Problem(
                    "status",
                    "illegal_status",
                    "a new incident starts as declared, triage or investigating",
                )
            ]
        )
    parsed_severity = ctx.scale.parse(severity)

    def work(conn: Connection) -> Incident:
        who = authorize(conn, ctx, Action.INCIDENT_DECLARE)
        return open_incident(
            conn,
            ctx,
            who,
            title=title,
            severity=parsed_severity,
            detected_at=detected,
            commander=commander,
            scope=scope,
            classification=classification,
            status=status,
            description=description,
        )

    return ctx.db.write(work)


def open_incident(
    conn: Connection,
    ctx: Context,
    who: Principal | str,
    *,
    title: str,
    severity: str,
    detected_at: datetime,
    commander: str | None = None,
    scope: Scope | None = None,
    classification: Classification = Classification.INTERNAL,
    status: Status = Status.INVESTIGATING,
    description: str | None = None,
    author: str | None = None,
) -> Incident:
    """Store a new incident inside an open write transaction (declare, alert intake):
    its `detected` entry at `detected_at`, its `declared` entry now, its ID from the day
    of detection, and the audit entry. `author` writes the entries (default: `who`)."""
    from warroom.formats.incident_document import to_document
    from warroom.services import changes, subscriptions

    now = ctx.now()
    name = who.name if isinstance(who, Principal) else who
    incident = Incident(
        id="",
        title=title.strip(),
        severity=severity,
        status=status,
        classification=classification,
        scope=scope or Scope(),
    )
    if commander:
        incident.assign(Role.COMMANDER, commander)
    incident.add_entry(
        TimelineEntry(
            at=detected_at,
            kind=EntryKind.DETECTED,
            text=description or f"Detected: {incident.title}",
            author=author or name,
        )
    )
    declared_text = f"{incident.severity} declared"
    if commander:
        declared_text += f", incident commander {commander}"
    incident.add_entry(
        TimelineEntry(
            at=max(now, detected_at),
            kind=EntryKind.DECLARED,
            text=declared_text,
            author=author or name,
        )
    )
    check_consistent(incident)
    shown = changes.show_possible_triggers(conn, ctx, incident, author=author or name)
    # the day's sequence is read and taken under one lock: no two get the same ID
    lock(conn, f"incident-day:{detected_at.date()}")
    incident.id = make_incident_id(detected_at, repo.next_sequence(conn, detected_at.date()))
    stored = repo.add(conn, incident, now=now)
    changes.record_shown(conn, stored.id, shown)
    _audit(conn, ctx, who, "incident.declare", stored.id, {}, to_document(stored))
    subscriptions.public_changed(conn, ctx, stored, before=())
    return stored


def import_incidents(ctx: Context, parsed: list[ParsedIncident]) -> list[Incident]:
    """Store incidents read from a file: all of them, or (on any problem) none."""
    from warroom.formats.incident_document import to_document
    from warroom.services import sla

    problems: list[Problem] = []
    ids_in_file: dict[str, ParsedIncident] = {}
    for item in parsed:
        if item.has_id:
            if item.incident.id in ids_in_file:
                problems.append(
                    item.problem(
                        "id",
                        "duplicate_id",
                        f"incident {item.incident.id} appears twice in the file",
                    )
                )
            ids_in_file[item.incident.id] = item
        if not item.has_id and item.incident.detected_at() is None and not item.incident.timeline:
            problems.append(
                item.problem(
                    "timeline",
                    "missing",
                    "an incident without an id needs a timeline entry to "
                    "date it (its ID carries the date of detection)",
                )
            )
    now = ctx.now()

    def day_of(item: ParsedIncident) -> date:
        incident = item.incident
        return (incident.detected_at() or min(e.at for e in incident.timeline)).date()

    def work(conn: Connection) -> list[Incident]:
        who = authorize(conn, ctx, Action.INCIDENT_IMPORT)
        found = list(problems)
        lock(
            conn,
            *(f"incident:{i}" for i in ids_in_file),
            *(f"incident-day:{day_of(item)}" for item in parsed if not item.has_id),
        )
        for existing in sorted(repo.existing_ids(conn, list(ids_in_file))):
            found.append(
                ids_in_file[existing].problem(
                    "id",
                    "duplicate_id",
                    f"incident {existing} already exists; nothing was imported",
                )
            )
        if found:
            raise InvalidInput(found)
        stored = []
        for item in parsed:
            incident = item.incident
            if not item.has_id:
                detected = incident.detected_at() or min(e.at for e in incident.timeline)
                sequence = repo.next_sequence(conn, detected.date())
                while make_incident_id(detected, sequence) in ids_in_file:
                    sequence += 1
                incident.id = make_incident_id(detected, sequence)
            saved = repo.add(conn, incident, now=now)
            _audit(conn, ctx, who, "incident.import", saved.id, {}, to_document(saved))
            stored.append(saved)
        # an imported incident counts in its month's uptime: approvals of that month's
        # other assessments rest on figures that just moved
        months = sorted({m for saved in stored for m in sla.months_of(saved)})
        sla.lock_months(conn, months)
        for month in months:
            sla.revalidate_month(conn, ctx, month)
        return stored

    return ctx.db.write(work)


# -- changing --------------------------------------------------------------------------------


def change_status(
    ctx: Context,
    incident_id: str,
    status: Status,
    *,
    message: str | None = None,
    at: datetime | None = None,
    audience: Audience = Audience.INTERNAL,
) -> Incident:
    def apply(incident: Incident, by: str) -> None:
        incident.change_status(status, at=_when(ctx, at), by=by, text=message, audience=audience)

    return _mutate(ctx, incident_id, Action.INCIDENT_STATUS, "incident.status", apply)


def reopen(
    ctx: Context, incident_id: str, status: Status, *, reason: str, at: datetime | None = None
) -> Incident:
    def apply(incident: Incident, by: str) -> None:
        incident.reopen(status, at=_when(ctx, at), by=by, reason=reason)

    return _mutate(ctx, incident_id, Action.INCIDENT_REOPEN, "incident.reopen", apply)


def assign(
    ctx: Context, incident_id: str, role: Role, person: str | None, *, at: datetime | None = None
) -> Incident:
    def apply(incident: Incident, by: str) -> None:
        previous = incident.roles.get(role)
        incident.assign(role, person)
        label = role.value.replace("_", " ")
        text = f"{person} assigned as {label}" if person else f"{previous} unassigned as {label}"
        incident.add_entry(
            TimelineEntry(at=_when(ctx, at), kind=EntryKind.UPDATE, text=text, author=by)
        )

    return _mutate(ctx, incident_id, Action.INCIDENT_ASSIGN, "incident.assign", apply)


def add_event(
    ctx: Context,
    incident_id: str,
    *,
    kind: EntryKind,
    text: str,
    at: datetime | None = None,
    audience: Audience = Audience.INTERNAL,
) -> Incident:
    def apply(incident: Incident, by: str) -> None:
        incident.add_entry(
            TimelineEntry(at=_when(ctx, at), kind=kind, text=text, author=by, audience=audience)
        )

    return _mutate(ctx, incident_id, Action.TIMELINE_ADD, "timeline.add", apply)


@dataclass(frozen=True)
class IncidentChanges:
    """Fields people edit after declaring; None leaves a field as it is."""

    title: str | None = None
    severity: str | None = None
    classification: Classification | None = None
    scope: Scope | None = None
    data_loss: str | None = None
    summary: str | None = None
    public_summary: str | None = None
    root_cause: str | None = None
    public_root_cause: str | None = None
    contributing_factors: list[str] | None = None


def update(ctx: Context, incident_id: str, changes: IncidentChanges) -> Incident:
    def apply(incident: Incident, by: str) -> None:
        if changes.severity is not None:
            incident.severity = ctx.scale.parse(changes.severity)
        for name in (
            "title",
            "classification",
            "scope",
            "data_loss",
            "summary",
            "public_summary",
            "root_cause",
            "public_root_cause",
            "contributing_factors",
        ):
            value = getattr(changes, name)
            if value is not None:
                setattr(incident, name, value)
        _check_title(incident.title)

    return _mutate(ctx, incident_id, Action.INCIDENT_UPDATE, "incident.update", apply)


def add_action(
    ctx: Context,
    incident_id: str,
    *,
    title: str,
    owner: str | None = None,
    due: date | None = None,
    status: ActionStatus = ActionStatus.OPEN,
    link: str | None = None,
    audience: Audience = Audience.INTERNAL,
) -> CorrectiveAction:
    if not title.strip():
        raise InvalidInput([Problem("title", "missing", "a corrective action needs a title")])
    _check_text("title", title)
    added: list[CorrectiveAction] = []

    def apply(incident: Incident, by: str) -> None:
        added.append(
            incident.add_action(
                title.strip(), owner=owner, due=due, status=status, link=link, audience=audience
            )
        )

    _mutate(ctx, incident_id, Action.ACTION_WRITE, "action.add", apply)
    return added[0]


def update_action(ctx: Context, incident_id: str, number: int, **changes: Any) -> CorrectiveAction:
    allowed = {"title", "owner", "due", "status", "link", "audience"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(
            [
                Problem(name, "unknown_field", f"actions have no field {name!r}")
                for name in sorted(unknown)
            ]
        )
    updated: list[CorrectiveAction] = []

    def apply(incident: Incident, by: str) -> None:
        updated.append(incident.update_action(number, **changes))

    _mutate(ctx, incident_id, Action.ACTION_WRITE, "action.update", apply)
    return updated[0]


# -- plumbing --------------------------------------------------------------------------------


def _when(ctx: Context, at: datetime | None) -> datetime:
    return require_utc(at, "time") if at else ctx.now()


def _mutate(
    ctx: Context,
    incident_id: str,
    action: Action,
    audit_action: str,
    apply: Callable[[Incident, str], None],
) -> Incident:
    """Change one incident in one write transaction, if the acting person may (`action`)."""
    return ctx.db.write(
        lambda conn: change_incident(conn, ctx, incident_id, audit_action, apply, action=action)
    )


def change_incident(
    conn: Connection,
    ctx: Context,
    incident_id: str,
    audit_action: str,
    apply: Callable[[Incident, str], None],
    *,
    action: Action | None = None,
    who: Principal | None = None,
) -> Incident:
    """Lock, load, change, check, save and audit one incident, inside an open write
    transaction. With `action`, the acting person must be allowed it on this incident;
    without, `who` was authorized by the caller (alert intake).

    The lock makes concurrent changes to one incident wait for each other instead of
    failing: a scribe and a commander typing at the same moment both land."""
    from warroom.formats.incident_document import to_document

    lock(conn, f"incident:{incident_id}")
    incident, version = repo.get_versioned(conn, incident_id)
    if action is not None:
        who = authorize(conn, ctx, action, incident=incident)
    assert who is not None, "change_incident needs an action to check or an authorized who"
    before = to_document(incident)
    problems_before = incident.consistency_problems()
    settled_by = (incident.impact_window(), incident.scope)
    public_before = incident.public_entries()
    actions_before = list(incident.actions)
    apply(incident, who.name)
    check_consistent(incident, before=problems_before)
    saved = repo.save(
        conn,
        incident,
        now=ctx.now(),
        expected_version=version,
        actions=incident.actions != actions_before,
    )
    _audit(conn, ctx, who, audit_action, incident_id, before, to_document(saved))
    if (saved.impact_window(), saved.scope) != settled_by:
        # the impact window and scope are inputs of SLA assessments: approvals may be void
        from warroom.services import sla

        months = [
            m for w in (settled_by[0], saved.impact_window()) if w for m in sla.window_months(w)
        ]
        sla.revalidate_incident(conn, ctx, incident_id, months)
    # status-page subscribers hear of new public entries with the change that made them
    if saved.public_entries_since(public_before):
        from warroom.services import subscriptions

        subscriptions.public_changed(conn, ctx, saved, before=public_before)
    return saved


def _audit(
    conn: Connection,
    ctx: Context,
    who: Principal | str,
    action: str,
    incident_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    record(
        conn,
        ctx,
        who,
        action=action,
        entity_type="incident",
        entity_id=incident_id,
        changes=diff_documents(before, after),
    )


def _check_title(title: str) -> None:
    if not title.strip():
        raise InvalidInput([Problem("title", "missing", "an incident needs a title")])
    _check_text("title", title)


def _check_text(field: str, value: str | None) -> None:
    problem = text_problem(field, value)
    if problem:
        raise InvalidInput([problem])


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two incident documents; timeline additions listed as added."""
    changes: dict[str, Any] = {}
    for key in after.keys() | before.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "timeline" and isinstance(old, list) and isinstance(new, list):
            changes[key] = {
                "added": [e for e in new if e not in old],
                "removed": [e for e in old if e not in new],
            }
            if not changes[key]["removed"]:
                del changes[key]["removed"]
        else:
            changes[key] = {"before": old, "after": new}
    return changes
