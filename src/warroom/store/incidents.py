"""Incident repository: load and save the incident aggregate (row, timeline, actions)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

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

# built once: alert intake opens incidents at machine rate
_LAST_SEQUENCE = select(func.max(incidents.c.sequence)).where(
    incidents.c.detected_on == bindparam("day")
)
_EXISTS = select(incidents.c.id).where(incidents.c.id == bindparam("incident_id"))
_ADD = insert(incidents)


def next_sequence(conn: Connection, day: date) -> int:
    current = conn.execute(_LAST_SEQUENCE, {"day": day}).scalar()
    return (current or 0) + 1


def exists(conn: Connection, incident_id: str) -> bool:
    return conn.execute(_EXISTS, {"incident_id": incident_id}).first() is not None


def existing_ids(conn: Connection, incident_ids: list[str]) -> set[str]:
    if not incident_ids:
        return set()
    rows = conn.execute(select(incidents.c.id).where(incidents.c.id.in_(incident_ids)))
    return {row.id for row in rows}


def get(conn: Connection, incident_id: str) -> Incident:
    return get_versioned(conn, incident_id)[0]


def get_versioned(conn: Connection, incident_id: str) -> tuple[Incident, int]:
    """The incident and its version, which `save` checks (no other writer came between)."""
    found = _load(conn, [incident_id])
    if not found:
        raise NotFound(f"no incident {incident_id}")
    return found[0]


def get_many(conn: Connection, incident_ids: list[str]) -> list[Incident]:
    """The incidents with these IDs, in the order given (missing ones left out): three
    queries for any number of incidents, so a page of a list costs no more than one."""
    return [incident for incident, _ in _load(conn, incident_ids)]


# built once: every change of an incident reads it whole
_ROWS = select(incidents).where(incidents.c.id.in_(bindparam("ids", expanding=True)))
_ENTRIES = (
    select(timeline_entries)
    .where(timeline_entries.c.incident_id.in_(bindparam("ids", expanding=True)))
    .order_by(timeline_entries.c.at, timeline_entries.c.id)
)
_ACTIONS = (
    select(corrective_actions)
    .where(corrective_actions.c.incident_id.in_(bindparam("ids", expanding=True)))
    .order_by(corrective_actions.c.number)
)
_DELETE_ACTIONS = delete(corrective_actions).where(
    corrective_actions.c.incident_id == bindparam("incident_id")
)
_ADD_ENTRIES = insert(timeline_entries).returning(
    timeline_entries.c.id, sort_by_parameter_order=True
)


def _load(conn: Connection, incident_ids: list[str]) -> list[tuple[Incident, int]]:
    if not incident_ids:
        return []
    rows = {row.id: row for row in conn.execute(_ROWS, {"ids": incident_ids})}
    if not rows:
        return []
    entries: dict[str, list[TimelineEntry]] = {i: [] for i in rows}
    for e in conn.execute(_ENTRIES, {"ids": list(rows)}):
        entries[e.incident_id].append(
            TimelineEntry(
                at=e.at,
                kind=EntryKind(e.kind),
                text=e.text,
                author=e.author,
                audience=Audience(e.audience),
                id=e.id,
            )
        )
    actions: dict[str, list[CorrectiveAction]] = {i: [] for i in rows}
    for a in conn.execute(_ACTIONS, {"ids": list(rows)}):
        actions[a.incident_id].append(
            CorrectiveAction(
                number=a.number,
                title=a.title,
                owner=a.owner,
                due=a.due,
                status=ActionStatus(a.status),
                link=a.link,
                audience=Audience(a.audience),
            )
        )
    return [
        (_incident(rows[i], entries[i], actions[i]), int(rows[i].version))
        for i in incident_ids
        if i in rows
    ]


def _incident(row: Any, entries: list[TimelineEntry], actions: list[CorrectiveAction]) -> Incident:
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


CONFIDENTIAL = Classification.CONFIDENTIAL.value


@dataclass(frozen=True)
class Filters:
    """Which incidents a list holds: statuses, severities, detection dates (inclusive)."""

    status: list[str] | None = None  # None: any; an empty list: none
    severity: list[str] | None = None
    since: date | None = None
    until: date | None = None
    # when set, confidential incidents only with these IDs (the ones the reader is named on)
    confidential_only: frozenset[str] | None = None
    text: str | None = None  # in the title or the ID, any case

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.confidential_only is not None:
            query = query.where(
                or_(
                    incidents.c.classification != CONFIDENTIAL,
                    incidents.c.id.in_(sorted(self.confidential_only)),
                )
            )
        if self.status is not None:
            query = query.where(incidents.c.status.in_(self.status))
        if self.severity:
            query = query.where(incidents.c.severity.in_(self.severity))
        if self.since:
            query = query.where(incidents.c.detected_on >= self.since)
        if self.until:
            query = query.where(incidents.c.detected_on <= self.until)
        if self.text and self.text.strip():
            pattern = "%" + _like_escape(self.text.strip()) + "%"
            query = query.where(
                or_(
                    incidents.c.title.ilike(pattern, escape="\\"),
                    incidents.c.id.ilike(pattern, escape="\\"),
                )
            )
        return query


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_ids(
    conn: Connection,
    *,
    status: list[str] | None = None,
    severity: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    offset: int = 0,
    filters: Filters | None = None,
) -> list[str]:
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


def milestones(
    conn: Connection, filters: Filters, kinds: tuple[EntryKind, ...]
) -> list[Milestones]:
    """Every incident matching `filters` with the first time of each of `kinds` in its
    timeline: two queries (the second answered from the timeline's index), however many
    incidents and entries there are."""
    found = {
        row.id: Milestones(row.id, row.severity, {})
        for row in conn.execute(filters.apply(select(incidents.c.id, incidents.c.severity)))
    }
    matching = filters.apply(select(incidents.c.id)).scalar_subquery()
    for row in conn.execute(
        select(
            timeline_entries.c.incident_id,
            timeline_entries.c.kind,
            func.min(timeline_entries.c.at).label("first"),
        )
        .where(
            timeline_entries.c.incident_id.in_(matching),
            timeline_entries.c.kind.in_([kind.value for kind in kinds]),
        )
        .group_by(timeline_entries.c.incident_id, timeline_entries.c.kind)
    ):
        if row.incident_id in found:
            found[row.incident_id].first[EntryKind(row.kind)] = row.first
    return list(found.values())


def names_on(conn: Connection, which: list[str] | Filters) -> dict[str, set[str]]:
    """The people named on each incident (these IDs, or the confidential ones matching
    `which`), read without loading the incidents: role holders, timeline authors and
    action owners (what `services.access.participants` reads from a loaded incident; a
    test keeps the two the same)."""
    if isinstance(which, Filters):
        chosen: Any = which.apply(
            select(incidents.c.id).where(incidents.c.classification == CONFIDENTIAL)
        ).scalar_subquery()
        ids = chosen
    else:
        ids = which
    found: dict[str, set[str]] = {}
    for row in conn.execute(
        select(incidents.c.id, incidents.c.roles).where(incidents.c.id.in_(ids))
    ):
        found[row.id] = {str(v) for v in (row.roles or {}).values() if v}
    for row in conn.execute(
        select(timeline_entries.c.incident_id, timeline_entries.c.author)
        .where(timeline_entries.c.incident_id.in_(ids), timeline_entries.c.author.is_not(None))
        .distinct()
    ):
        found[row.incident_id].add(row.author)
    for row in conn.execute(
        select(corrective_actions.c.incident_id, corrective_actions.c.owner)
        .where(corrective_actions.c.incident_id.in_(ids), corrective_actions.c.owner.is_not(None))
        .distinct()
    ):
        found[row.incident_id].add(row.owner)
    return found


def _row(incident: Incident) -> dict[str, object]:
    return {
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status.value,
        "classification": incident.classification.value,
        "roles": {role.value: person for role, person in incident.roles.items()},
        "scope_regions": list(incident.scope.regions)
        if incident.scope.regions is not None
        else None,
        "scope_services": list(incident.scope.services)
        if incident.scope.services is not None
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
    conn.execute(
        _ADD,
        {
            "id": incident.id,
            "detected_on": day,
            "sequence": sequence,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            **_row(incident),
        },
    )
    return _save_children(conn, incident, actions=True, new=True)


_UPDATE = (
    update(incidents)
    .where(incidents.c.id == bindparam("incident_id"))
    .values(version=incidents.c.version + 1)
)
_UPDATE_VERSION = _UPDATE.where(incidents.c.version == bindparam("expected"))


def save(
    conn: Connection,
    incident: Incident,
    *,
    now: datetime,
    expected_version: int | None = None,
    actions: bool = True,
) -> Incident:
    """Write back a loaded incident. Timeline entries are appended, never rewritten; the
    corrective actions are rewritten unless `actions` is False (they did not change).
    Returns the incident as stored: as `get` would read it, without reading it again."""
    values = {"incident_id": incident.id, "updated_at": now, **_row(incident)}
    if expected_version is None:
        result = conn.execute(_UPDATE, values)
    else:
        result = conn.execute(_UPDATE_VERSION, {**values, "expected": expected_version})
    if result.rowcount != 1:
        if not exists(conn, incident.id):
            raise NotFound(f"no incident {incident.id}")
        # another writer got in between: `Database.write` runs the change again on the
        # record as it now stands
        raise StaleWrite(f"incident {incident.id} was changed by someone else meanwhile")
    return _save_children(conn, incident, actions=actions)


def _save_children(
    conn: Connection, incident: Incident, *, actions: bool, new: bool = False
) -> Incident:
    """Append the new timeline entries (and rewrite the actions; a `new` incident has none
    to delete); the incident with its entries' new IDs, in the order `get` reads them
    (time, then ID)."""
    timeline = [e for e in incident.timeline if e.id is not None]
    new_entries = [e for e in incident.timeline if e.id is None]
    if new_entries:
        ids = (
            conn.execute(
                _ADD_ENTRIES,
                [
                    {
                        "incident_id": incident.id,
                        "at": e.at,
                        "kind": e.kind.value,
                        "text": e.text,
                        "author": e.author,
                        "audience": e.audience.value,
                    }
                    for e in new_entries
                ],
            )
            .scalars()
            .all()
        )
        timeline += [e.with_id(i) for e, i in zip(new_entries, ids, strict=True)]
    if actions:
        if not new:
            conn.execute(_DELETE_ACTIONS, {"incident_id": incident.id})
        if incident.actions:
            conn.execute(
                insert(corrective_actions),
                [
                    {
                        "incident_id": incident.id,
                        "number": a.number,
                        "title": a.title,
                        "owner": a.owner,
                        "due": a.due,
                        "status": a.status.value,
                        "link": a.link,
                        "audience": a.audience.value,
                    }
                    for a in incident.actions
                ],
            )
    return replace(
        incident,
        timeline=sorted(timeline, key=lambda e: (e.at, e.id or 0)),
        actions=sorted(incident.actions, key=lambda a: a.number),
    )
