"""Incident repository: load and save the incident aggregate (row, timeline, actions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, delete, func, insert, or_, select, update

from warroom.domain.audience import Audience
from warroom.domain.errors import Conflict, NotFound
from warroom.domain.incident import (
    ActionStatus,
    Classification,
    CorrectiveAction,
    Incident,
    Role,
    parse_incident_id,
)
from warroom.domain.lifecycle import Status
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.store.database import StaleWrite
from warroom.store.tables import corrective_actions, incidents, timeline_entries


def next_sequence(conn: Connection, day: date) -> int:
    current = conn.execute(
        select(func.max(incidents.c.sequence)).where(incidents.c.detected_on == day)
    ).scalar()
    return (current or 0) + 1


def exists(conn: Connection, incident_id: str) -> bool:
    return conn.execute(
        select(incidents.c.id).where(incidents.c.id == incident_id)
    ).first() is not None


def existing_ids(conn: Connection, incident_ids: list[str]) -> set[str]:
    if not incident_ids:
        return set()
    rows = conn.execute(select(incidents.c.id).where(incidents.c.id.in_(incident_ids)))
    return {row.id for row in rows}


def get(conn: Connection, incident_id: str) -> Incident:
    found = get_many(conn, [incident_id])
    if not found:
        raise NotFound(f"no incident {incident_id}")
    return found[0]


def get_many(conn: Connection, incident_ids: list[str]) -> list[Incident]:
    """The incidents with these IDs, in the order given (missing ones left out): three
    queries for any number of incidents, so a page of a list costs no more than one."""
    if not incident_ids:
        return []
    rows = {row.id: row for row in conn.execute(
        select(incidents).where(incidents.c.id.in_(incident_ids)))}
    entries: dict[str, list[TimelineEntry]] = {i: [] for i in rows}
    for e in conn.execute(select(timeline_entries)
                          .where(timeline_entries.c.incident_id.in_(list(rows)))
                          .order_by(timeline_entries.c.at, timeline_entries.c.id)):
        entries[e.incident_id].append(
            TimelineEntry(at=e.at, kind=EntryKind(e.kind), text=e.text, author=e.author,
                          audience=Audience(e.audience), id=e.id))
    actions: dict[str, list[CorrectiveAction]] = {i: [] for i in rows}
    for a in conn.execute(select(corrective_actions)
                          .where(corrective_actions.c.incident_id.in_(list(rows)))
                          .order_by(corrective_actions.c.number)):
        actions[a.incident_id].append(
            CorrectiveAction(number=a.number, title=a.title, owner=a.owner, due=a.due,
                             status=ActionStatus(a.status), link=a.link,
                             audience=Audience(a.audience)))
    return [_incident(rows[i], entries[i], actions[i]) for i in incident_ids if i in rows]


def _incident(row: Any, entries: list[TimelineEntry],
              actions: list[CorrectiveAction]) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        severity=row.severity,
        status=Status(row.status),
        classification=Classification(row.classification),
        roles={Role(k): v for k, v in (row.roles or {}).items()},
        scope=Scope(
            regions=tuple(row.scope_regions) if row.scope_regions is not None else None,
            services=tuple(row.scope_services) if row.scope_services is not None else None,
        ),
        data_loss=row.data_loss,
        summary=row.summary,
        public_summary=row.public_summary,
        timeline=entries,
        root_cause=row.root_cause,
        public_root_cause=row.public_root_cause,
        contributing_factors=list(row.contributing_factors or []),
        actions=actions,
    )


def version_of(conn: Connection, incident_id: str) -> int:
    value = conn.execute(
        select(incidents.c.version).where(incidents.c.id == incident_id)
    ).scalar()
    if value is None:
        raise NotFound(f"no incident {incident_id}")
    return int(value)


CONFIDENTIAL = Classification.CONFIDENTIAL.value


@dataclass(frozen=True)
class Filters:
    """Which incidents a list holds: statuses, severities, detection dates (inclusive)."""

    status: list[str] | None = None
    severity: list[str] | None = None
    since: date | None = None
    until: date | None = None
    # when set, confidential incidents only with these IDs (the ones the reader is named on)
    confidential_only: frozenset[str] | None = None
    text: str | None = None  # in the title or the ID, any case


    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.confidential_only is not None:
            query = query.where(or_(incidents.c.classification != CONFIDENTIAL,
                                    incidents.c.id.in_(sorted(self.confidential_only))))
        if self.status:
            query = query.where(incidents.c.status.in_(self.status))
        if self.severity:
            query = query.where(incidents.c.severity.in_(self.severity))
        if self.since:
            query = query.where(incidents.c.detected_on >= self.since)
        if self.until:
            query = query.where(incidents.c.detected_on <= self.until)
        if self.text and self.text.strip():
            pattern = "%" + _like_escape(self.text.strip()) + "%"
            query = query.where(or_(incidents.c.title.ilike(pattern, escape="\\"),
                                    incidents.c.id.ilike(pattern, escape="\\")))
        return query


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_ids(conn: Connection, *, status: list[str] | None = None,
             severity: list[str] | None = None, since: date | None = None,
             until: date | None = None, limit: int | None = None, offset: int = 0,
             filters: Filters | None = None) -> list[str]:
    """IDs, newest first, filtered by status, severity and detection date (inclusive)."""
    filters = filters or Filters(status, severity, since, until)
    query = filters.apply(select(incidents.c.id))
    query = query.order_by(incidents.c.detected_on.desc(), incidents.c.sequence.desc())
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [row.id for row in conn.execute(query)]


def count(conn: Connection, filters: Filters) -> int:
    query = filters.apply(select(func.count()).select_from(incidents))
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class Milestones:
    """An incident as its metrics see it: its severity, and the time of the first entry of
    each kind of its timeline (which is all `domain.metrics.incident_metrics` reads)."""

    incident_id: str
    severity: str
    first: dict[EntryKind, datetime]


def milestones(conn: Connection, filters: Filters,
               kinds: tuple[EntryKind, ...]) -> list[Milestones]:
    """Every incident matching `filters` with the first time of each of `kinds` in its
    timeline: two queries (the second answered from the timeline's index), however many
    incidents and entries there are."""
    found = {row.id: Milestones(row.id, row.severity, {}) for row in conn.execute(
        filters.apply(select(incidents.c.id, incidents.c.severity)))}
    matching = filters.apply(select(incidents.c.id)).scalar_subquery()
    for row in conn.execute(
            select(timeline_entries.c.incident_id, timeline_entries.c.kind,
                   func.min(timeline_entries.c.at).label("first"))
            .where(timeline_entries.c.incident_id.in_(matching),
                   timeline_entries.c.kind.in_([kind.value for kind in kinds]))
            .group_by(timeline_entries.c.incident_id, timeline_entries.c.kind)):
        if row.incident_id in found:
            found[row.incident_id].first[EntryKind(row.kind)] = row.first
    return list(found.values())


def names_on(conn: Connection, which: list[str] | Filters) -> dict[str, set[str]]:
    """The people named on each incident (these IDs, or the confidential ones matching
    `which`), read without loading the incidents: role holders, timeline authors and
    action owners (what `services.access.participants` reads from a loaded incident; a
    test keeps the two the same)."""
    if isinstance(which, Filters):
        chosen: Any = which.apply(select(incidents.c.id).where(
            incidents.c.classification == CONFIDENTIAL)).scalar_subquery()
        ids = chosen
    else:
        ids = which
    found: dict[str, set[str]] = {}
    for row in conn.execute(select(incidents.c.id, incidents.c.roles)
                            .where(incidents.c.id.in_(ids))):
        found[row.id] = {str(v) for v in (row.roles or {}).values() if v}
    for row in conn.execute(select(timeline_entries.c.incident_id, timeline_entries.c.author)
                            .where(timeline_entries.c.incident_id.in_(ids),
                                   timeline_entries.c.author.is_not(None)).distinct()):
        found[row.incident_id].add(row.author)
    for row in conn.execute(select(corrective_actions.c.incident_id, corrective_actions.c.owner)
                            .where(corrective_actions.c.incident_id.in_(ids),
                                   corrective_actions.c.owner.is_not(None)).distinct()):
        found[row.incident_id].add(row.owner)
    return found


def _row(incident: Incident) -> dict[str, object]:
    return {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status.value,
        "classification": incident.classification.value,
        "roles": {role.value: person for role, person in incident.roles.items()},
        "scope_regions": list(incident.scope.regions) if incident.scope.regions is not None
        else None,
        "scope_services": list(incident.scope.services) if incident.scope.services is not None
        else None,
        "data_loss": incident.data_loss,
        "summary": incident.summary,
        "public_summary": incident.public_summary,
        "root_cause": incident.root_cause,
        "public_root_cause": incident.public_root_cause,
        "contributing_factors": list(incident.contributing_factors),
    }


def add(conn: Connection, incident: Incident, *, now: datetime) -> Incident:
    """Insert a new incident with its timeline and actions; returns it with entry IDs."""
    if exists(conn, incident.id):
        raise Conflict(f"incident {incident.id} already exists")
    day, sequence = parse_incident_id(incident.id)
    conn.execute(insert(incidents).values(
        id=incident.id, detected_on=day, sequence=sequence, created_at=now, updated_at=now,
        version=1, **_row(incident)))
    _save_children(conn, incident)
    return get(conn, incident.id)


def save(conn: Connection, incident: Incident, *, now: datetime,
         expected_version: int | None = None) -> Incident:
    """Write back a loaded incident. Timeline entries are appended, never rewritten."""
    query = update(incidents).where(incidents.c.id == incident.id)
    if expected_version is not None:
        query = query.where(incidents.c.version == expected_version)
    result = conn.execute(query.values(updated_at=now, version=incidents.c.version + 1,
                                       **_row(incident)))
    if result.rowcount != 1:
        if not exists(conn, incident.id):
            raise NotFound(f"no incident {incident.id}")
        # another writer got in between: `Database.write` runs the change again on the
        # record as it now stands
        raise StaleWrite(f"incident {incident.id} was changed by someone else meanwhile")
    _save_children(conn, incident)
    return get(conn, incident.id)


def _save_children(conn: Connection, incident: Incident) -> None:
    new_entries = [e for e in incident.timeline if e.id is None]
    if new_entries:
        conn.execute(insert(timeline_entries), [
            {"incident_id": incident.id, "at": e.at, "kind": e.kind.value, "text": e.text,
             "author": e.author, "audience": e.audience.value}
            for e in new_entries
        ])
    conn.execute(delete(corrective_actions).where(
        corrective_actions.c.incident_id == incident.id))
    if incident.actions:
        conn.execute(insert(corrective_actions), [
            {"incident_id": incident.id, "number": a.number, "title": a.title, "owner": a.owner,
             "due": a.due, "status": a.status.value, "link": a.link,
             "audience": a.audience.value}
            for a in incident.actions
        ])
