"""Alert and change intake: the one service every source's adapter goes through.

Never lose, never duplicate. A delivery is stored in one transaction (the caller answers
2xx only after it returns), under locks on each alert's identity and its group, so the
same alert delivered again — Alertmanager re-sends every group on each repeat and
retry, possibly to two server processes at once — finds it stored and changes nothing.

What an alert does (`domain.routing` decides service, region, severity, grouping):
- firing, new: joins the open incident of its group, else opens one when its severity is
  declared automatically (else it is stored, attached to nothing, for people to triage);
  either way it writes a `detected` entry at the alert's start, naming it;
- resolved or acknowledged: its incident's timeline says so; the incident is resolved by
  people, unless a routing rule says alerts resolve it (then: once all its alerts have);
- an event older than the newest one applied to the alert is stale and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from warroom.domain.alerts import AlertIn, AlertStatus, ChangeIn
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.permissions import Action
from warroom.domain.routing import RouteDecision, route
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.services import changes
from warroom.services.access import Principal, authorize, record
from warroom.services.context import Context
from warroom.services.incidents import change_incident, open_incident
from warroom.store import intake as store
from warroom.store.database import lock
from warroom.store.intake import StoredAlert, StoredChange

ACTIVE = [status.value for status in Status if status.is_active]


class Outcome(StrEnum):
    CREATED = "created"  # a new alert or change, stored
    UPDATED = "updated"  # resolved, acknowledged or fired again
    DUPLICATE = "duplicate"  # delivered before: nothing changed
    STALE = "stale"  # older than what was applied: nothing changed


@dataclass(frozen=True)
class AlertReceipt:
    source: str
    key: str
    outcome: Outcome
    incident_id: str | None
    opened: bool  # the alert opened its incident


@dataclass(frozen=True)
class ChangeReceipt:
    key: str
    outcome: Outcome
    incidents: tuple[str, ...]  # whose timelines now show it as a possible trigger


def receive_alerts(ctx: Context, alerts: Sequence[AlertIn]) -> list[AlertReceipt]:
    """Store one delivery's alerts and apply them, all in one transaction."""
    if not alerts:
        return []
    decisions = [route(alert, ctx.routing) for alert in alerts]

    def work(conn: Connection) -> list[AlertReceipt]:
        who = authorize(conn, ctx, Action.INTAKE_POST)
        # every identity and group of the delivery at once, in one order: two servers
        # receiving the same group cannot interleave
        lock(conn, *(f"alert:{a.source.value}:{a.key}" for a in alerts),
             *(f"alert-group:{d.group_key}" for d in decisions))
        return [_receive(conn, ctx, who, alert, decision)
                for alert, decision in zip(alerts, decisions, strict=True)]

    return ctx.db.write(work)


def receive_change(ctx: Context, change: ChangeIn) -> ChangeReceipt:
    """Store a change to production and show it on the incidents it may have triggered."""

    def work(conn: Connection) -> ChangeReceipt:
        who = authorize(conn, ctx, Action.INTAKE_POST)
        lock(conn, f"change:{change.key}")
        if store.get_change(conn, change.key) is not None:
            return ChangeReceipt(change.key, Outcome.DUPLICATE, ())
        stored = store.add_change(conn, change, now=ctx.now(), by=who.name)
        record(conn, ctx, who, action="intake.change", entity_type="change",
               entity_id=change.key, changes={"kind": change.kind.value,
                                              "at": _z(change.at), "service": change.service,
                                              "region": change.region})
        shown = changes.show_on_incidents(
            conn, ctx, stored, change=lambda incident_id, apply: change_incident(
                conn, ctx, incident_id, "timeline.add", apply, who=who))
        return ChangeReceipt(change.key, Outcome.CREATED, tuple(shown))

    return ctx.db.write(work)


def alerts_of(ctx: Context, incident_id: str) -> list[StoredAlert]:
    from warroom.services.incidents import readable

    with ctx.db.reading() as conn:
        readable(conn, ctx, incident_id)
        return store.alerts_of_incident(conn, incident_id)


def changes_of(ctx: Context, incident_id: str) -> list[StoredChange]:
    """The changes to production shown on the incident as possible triggers."""
    from warroom.services.incidents import readable

    with ctx.db.reading() as conn:
        readable(conn, ctx, incident_id)
        return store.changes_of_incident(conn, incident_id)


def list_alerts(ctx: Context, *, status: str | None = None, unattached: bool = False,
                limit: int = 100, offset: int = 0) -> list[StoredAlert]:
    """Alerts as received, newest first; `unattached`: those no incident holds (triage)."""
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ)
        return store.list_alerts(conn, status=status, unattached=unattached, limit=limit,
                                 offset=offset)


def list_changes(ctx: Context, *, limit: int = 100, offset: int = 0) -> list[StoredChange]:
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ)
        return store.list_changes(conn, limit=limit, offset=offset)


# -- one alert -------------------------------------------------------------------------------

def _receive(conn: Connection, ctx: Context, who: Principal, alert: AlertIn,
             decision: RouteDecision) -> AlertReceipt:
    stored = store.get_alert(conn, alert.source.value, alert.key)
    if stored is None:
        return _first_delivery(conn, ctx, who, alert, decision)
    if alert.at < stored.last_event_at:
        return _receipt(alert, Outcome.STALE, stored.incident_id)
    if alert.status.value == stored.status:  # a repeat, a retry, a second trigger
        return _receipt(alert, Outcome.DUPLICATE, stored.incident_id)
    return _next_event(conn, ctx, who, alert, decision, stored)


def _first_delivery(conn: Connection, ctx: Context, who: Principal, alert: AlertIn,
                    decision: RouteDecision) -> AlertReceipt:
    incident_id = store.open_incident_of_group(conn, decision.group_key, ACTIVE)
    opened = False
    if alert.is_firing:
        if incident_id is not None:
            _join(conn, ctx, who, incident_id, alert)
        elif decision.declare:
            incident_id = _open(conn, ctx, who, alert, decision).id
            opened = True
    elif incident_id is not None:  # its firing never reached us; its incident hears of it
        _note(conn, ctx, who, incident_id, alert)
    store.add_alert(conn, alert, decision, incident_id=incident_id, now=ctx.now())
    _audit(conn, ctx, who, alert, decision, "intake.alert", incident_id)
    return _receipt(alert, Outcome.CREATED, incident_id, opened)


def _next_event(conn: Connection, ctx: Context, who: Principal, alert: AlertIn,
                decision: RouteDecision, stored: StoredAlert) -> AlertReceipt:
    values: dict[str, object] = {
        "status": alert.status.value, "last_event_at": alert.at,
        "last_received_at": ctx.now(), "deliveries": stored.deliveries + 1}
    # on resolve, Alertmanager may send empty annotations and links: keep what we have
    if alert.annotations:
        values["annotations"] = dict(alert.annotations)
    if alert.summary:
        values["summary"] = alert.summary
    if alert.generator_url:
        values["generator_url"] = alert.generator_url
    incident_id = stored.incident_id
    opened = False
    if alert.is_firing:  # fired again after it resolved (PagerDuty re-triggers a key)
        values.update(starts_at=alert.at, ends_at=None)
        incident_id = store.open_incident_of_group(conn, decision.group_key, ACTIVE)
        if incident_id is not None:
            _join(conn, ctx, who, incident_id, alert)
        elif decision.declare:
            incident_id = _open(conn, ctx, who, alert, decision).id
            opened = True
        values.update(incident_id=incident_id, group_key=decision.group_key)
    else:
        if alert.status is AlertStatus.RESOLVED:
            values["ends_at"] = alert.ends_at
        if incident_id is not None:
            _note(conn, ctx, who, incident_id, alert)
    store.update_alert(conn, stored, **values)
    if alert.status is AlertStatus.RESOLVED and incident_id is not None \
            and decision.resolve_incident:
        _resolve_when_all_resolved(conn, ctx, who, incident_id)
    _audit(conn, ctx, who, alert, decision, f"intake.alert_{alert.status.value}", incident_id)
    return _receipt(alert, Outcome.UPDATED, incident_id, opened)


def _open(conn: Connection, ctx: Context, who: Principal, alert: AlertIn,
          decision: RouteDecision) -> Incident:
    return open_incident(conn, ctx, who, title=decision.title, severity=decision.severity,
                         detected_at=alert.starts_at, scope=decision.scope,
                         description=alert.timeline_text())


def _join(conn: Connection, ctx: Context, who: Principal, incident_id: str,
          alert: AlertIn) -> None:
    def apply(incident: Incident, by: str) -> None:
        before = {(p.field, p.code) for p in incident.consistency_problems()}
        entry = incident.add_entry(TimelineEntry(at=alert.starts_at, kind=EntryKind.DETECTED,
                                                 text=alert.timeline_text(), author=by))
        after = {(p.field, p.code) for p in incident.consistency_problems()}
        if after - before:
            # a detection that would put the incident's milestones out of order (it
            # started before the incident's trigger): on the timeline as an update
            incident.timeline.remove(entry)
            incident.add_entry(TimelineEntry(at=alert.starts_at, kind=EntryKind.UPDATE,
                                             text=alert.timeline_text(), author=by))

    change_incident(conn, ctx, incident_id, "timeline.add", apply, who=who)


def _note(conn: Connection, ctx: Context, who: Principal, incident_id: str,
          alert: AlertIn) -> None:
    def apply(incident: Incident, by: str) -> None:
        incident.add_entry(TimelineEntry(at=alert.at, kind=EntryKind.UPDATE,
                                         text=alert.timeline_text(), author=by))

    change_incident(conn, ctx, incident_id, "timeline.add", apply, who=who)


def _resolve_when_all_resolved(conn: Connection, ctx: Context, who: Principal,
                               incident_id: str) -> None:
    held = store.alerts_of_incident(conn, incident_id)
    if any(a.status != AlertStatus.RESOLVED.value for a in held):
        return
    last = max(a.ends_at or a.last_event_at for a in held)

    def apply(incident: Incident, by: str) -> None:
        if incident.status.is_active:
            incident.change_status(Status.RESOLVED, at=last, by=by,
                                   text="All alerts resolved; resolved by routing rule")

    change_incident(conn, ctx, incident_id, "incident.status", apply, who=who)


def _audit(conn: Connection, ctx: Context, who: Principal, alert: AlertIn,
           decision: RouteDecision, action: str, incident_id: str | None) -> None:
    record(conn, ctx, who, action=action, entity_type="alert",
           entity_id=f"{alert.source.value}:{alert.key}",
           changes={"status": alert.status.value, "name": alert.name,
                    "severity": decision.severity, "group_key": decision.group_key,
                    "routes": list(decision.routes), "incident": incident_id})


def _receipt(alert: AlertIn, outcome: Outcome, incident_id: str | None,
             opened: bool = False) -> AlertReceipt:
    return AlertReceipt(alert.source.value, alert.key, outcome, incident_id, opened)


def _z(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
