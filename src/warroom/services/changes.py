"""Changes to production on incidents' timelines: each possible trigger shown once.

A change (deploy, configuration, maintenance) is a possible trigger of an incident
detected within the look-back after it, on the same service or region
(`domain.alerts.is_possible_trigger`). It is shown as a `change` entry at the change's
time, whichever arrived first: the incident (its opening looks back) or the change (its
arrival looks forward). The metrics do not read `change` entries; people who confirm the
trigger add a `trigger` entry.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from warroom.domain.alerts import is_possible_trigger
from warroom.domain.incident import Incident
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.services.context import Context
from warroom.store import intake as store
from warroom.store.intake import StoredChange

ENTRY_PREFIX = "Possible trigger: "


def change_entry(change: StoredChange, author: str) -> TimelineEntry:
    return TimelineEntry(
        at=change.change.at,
        kind=EntryKind.CHANGE,
        text=ENTRY_PREFIX + change.change.timeline_text(),
        author=author,
    )


def show_possible_triggers(
    conn: Connection, ctx: Context, incident: Incident, *, author: str
) -> list[int]:
    """Add to `incident` (not yet saved) a `change` entry for each change that may have
    triggered it and is not shown on it yet; returns their ids for `record_shown`."""
    detected = incident.detected_at()
    if detected is None:
        return []
    shown = store.shown_changes(conn, incident.id) if incident.id else set()
    added = []
    for stored in store.changes_between(conn, detected - ctx.change_lookback, detected):
        if stored.id in shown or not is_possible_trigger(
            stored.change, detected_at=detected, scope=incident.scope, look_back=ctx.change_lookback
        ):
            continue
        incident.add_entry(change_entry(stored, author))
        added.append(stored.id)
    return added


def record_shown(conn: Connection, incident_id: str, change_ids: list[int]) -> None:
    for change_id in change_ids:
        store.show_change(conn, incident_id, change_id)


def show_on_incidents(
    conn: Connection,
    ctx: Context,
    stored: StoredChange,
    *,
    change: Callable[[str, Callable[[Incident, str], None]], Incident],
) -> list[str]:
    """Show a newly reported change on every incident it may have triggered (detected
    within the look-back after it); `change(incident_id, apply)` saves each incident.
    Returns the incidents it was added to."""
    from warroom.store import incidents as incident_repo

    at = stored.change.at
    candidates = incident_repo.list_ids(
        conn, since=at.date(), until=(at + ctx.change_lookback).date()
    )
    shown_on = []
    for incident_id in sorted(candidates):
        incident = incident_repo.get(conn, incident_id)
        detected = incident.detected_at()
        if detected is None or stored.id in store.shown_changes(conn, incident_id):
            continue
        if not is_possible_trigger(
            stored.change, detected_at=detected, scope=incident.scope, look_back=ctx.change_lookback
        ):
            continue

        def add(incident: Incident, by: str) -> None:
            incident.add_entry(change_entry(stored, by))

        change(incident_id, add)
        store.show_change(conn, incident_id, stored.id)
        shown_on.append(incident_id)
    return shown_on
