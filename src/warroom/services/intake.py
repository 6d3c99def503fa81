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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import Connection

from warroom.domain.alerts import AlertIn, AlertStatus, ChangeIn
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import Status
from warroom.domain.permissions import Action
from warroom.domain.routing import RouteDecision, route
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.domain.window import iso_z
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
    rules = ctx.routing_rules()
    decisions = [route(alert, rules) for alert in alerts]

    def work(conn: Connection) -> list[AlertReceipt]:
        who = authorize(conn, ctx, Action.INTAKE_POST)
        # every identity and group of the delivery at once, in one order: two servers
        # receiving the same group cannot interleave
        lock(
            conn,
            *(f"alert:{a.source.value}:{a.key}" for a in alerts),
            *(f"alert-group:{d.group_key}" for d in decisions),
        )
        delivery = _Delivery(conn, ctx, who)
        delivery.read_stored(alerts)
        receipts = [
            _receive(delivery, alert, decision)
            for alert, decision in zip(alerts, decisions, strict=True)
        ]
        delivery.write_timelines()
        return receipts

    return ctx.db.write(work)


def receive_change(ctx: Context, change: ChangeIn) -> ChangeReceipt:
    """Store a change to production and show it on the incidents it may have triggered."""

    def work(conn: Connection) -> ChangeReceipt:
        who = authorize(conn, ctx, Action.INTAKE_POST)
        lock(conn, f"change:{change.key}")
        if store.get_change(conn, change.key) is not None:
            return ChangeReceipt(change.key, Outcome.DUPLICATE, ())
        stored = store.add_change(conn, change, now=ctx.now(), by=who.name)
        record(
            conn,
            ctx,
            who,
            action="intake.change",
            entity_type="change",
            entity_id=change.key,
            changes={
                "kind": change.kind.value,
                "at": iso_z(change.at),
                "service": change.service,
                "region": change.region,
            },
        )
        shown = changes.show_on_incidents(
            conn,
            ctx,
            stored,
            change=lambda incident_id, apply: change_incident(
                conn, ctx, incident_id, "timeline.add", apply, who=who
            ),
        )
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


def list_alerts(
    ctx: Context,
    *,
    status: str | None = None,
    unattached: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[StoredAlert]:
    """Alerts as received, newest first; `unattached`: those no incident holds (triage)."""
    return alerts_page(ctx, status=status, unattached=unattached, limit=limit, offset=offset)[0]


def alerts_page(
    ctx: Context,
    *,
    status: str | None = None,
    unattached: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[StoredAlert], int]:
    """A page of `list_alerts`, and how many alerts match in all (one transaction)."""
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ)
        return (
            store.list_alerts(
                conn, status=status, unattached=unattached, limit=limit, offset=offset
            ),
            store.count_alerts(conn, status=status, unattached=unattached),
        )


def list_changes(ctx: Context, *, limit: int = 100, offset: int = 0) -> list[StoredChange]:
    return changes_page(ctx, limit=limit, offset=offset)[0]


def changes_page(
    ctx: Context, *, limit: int = 100, offset: int = 0
) -> tuple[list[StoredChange], int]:
    """A page of the changes, newest first, and how many there are."""
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ)
        return (store.list_changes(conn, limit=limit, offset=offset), store.count_changes(conn))


# -- one alert -------------------------------------------------------------------------------

Change = Callable[[Incident, str], None]


@dataclass
class _Delivery:
    """One delivery's transaction, and what it has read: the alerts stored before it (read
    in one query; the locks keep them as read) and each group's open incident, kept up to
    date as its alerts open, join or resolve incidents. The timeline entries its alerts
    write are added to each incident at once, in one change (one audit entry) per
    incident, before anything reads the incident again and before the commit."""

    conn: Connection
    ctx: Context
    who: Principal
    stored: dict[tuple[str, str], StoredAlert] = field(default_factory=dict)
    received: set[tuple[str, str]] = field(default_factory=set)
    open_incidents: dict[str, str | None] = field(default_factory=dict)
    entries: dict[str, list[Change]] = field(default_factory=dict)

    def read_stored(self, alerts: Sequence[AlertIn]) -> None:
        for source in {a.source.value for a in alerts}:
            keys = [a.key for a in alerts if a.source.value == source]
            self.stored.update(
                ((source, k), found)
                for k, found in store.get_alerts(self.conn, source, keys).items()
            )

    def stored_alert(self, alert: AlertIn) -> StoredAlert | None:
        identity = (alert.source.value, alert.key)
        if identity in self.received:  # the same alert twice in one delivery
            return store.get_alert(self.conn, *identity)
        self.received.add(identity)
        return self.stored.get(identity)

    def open_incident_of(self, group_key: str) -> str | None:
        if group_key not in self.open_incidents:
            self.open_incidents[group_key] = store.open_incident_of_group(
                self.conn, group_key, ACTIVE
            )
        return self.open_incidents[group_key]

    def add_entry(self, incident_id: str, change: Change) -> None:
        self.entries.setdefault(incident_id, []).append(change)

    def write_timelines(self) -> None:
        for incident_id, entries in self.entries.items():

            def apply(incident: Incident, by: str, entries: list[Change] = entries) -> None:
                for add in entries:  # in the order the alerts came
                    add(incident, by)

            change_incident(self.conn, self.ctx, incident_id, "timeline.add", apply, who=self.who)
        self.entries.clear()


def _receive(delivery: _Delivery, alert: AlertIn, decision: RouteDecision) -> AlertReceipt:
    stored = delivery.stored_alert(alert)
    if stored is None:
        return _first_delivery(delivery, alert, decision)
    if alert.at < stored.last_event_at:
        return _receipt(alert, Outcome.STALE, stored.incident_id)
    if alert.status.value == stored.status:  # a repeat, a retry, a second trigger
        return _receipt(alert, Outcome.DUPLICATE, stored.incident_id)
    return _next_event(delivery, alert, decision, stored)


def _first_delivery(delivery: _Delivery, alert: AlertIn, decision: RouteDecision) -> AlertReceipt:
    conn, ctx, who = delivery.conn, delivery.ctx, delivery.who
    incident_id = delivery.open_incident_of(decision.group_key)
    opened = False
    if alert.is_firing:
        if incident_id is not None:
            delivery.add_entry(incident_id, _join(alert))
        elif decision.declare:
            incident_id = _open(conn, ctx, who, alert, decision).id
            delivery.open_incidents[decision.group_key] = incident_id
            opened = True
    elif incident_id is not None:  # its firing never reached us; its incident hears of it
        delivery.add_entry(incident_id, _note(alert))
    store.add_alert(conn, alert, decision, incident_id=incident_id, now=ctx.now())
    _audit(conn, ctx, who, alert, decision, "intake.alert", incident_id)
    return _receipt(alert, Outcome.CREATED, incident_id, opened)


def _next_event(
    delivery: _Delivery, alert: AlertIn, decision: RouteDecision, stored: StoredAlert
) -> AlertReceipt:
    conn, ctx, who = delivery.conn, delivery.ctx, delivery.who
    values: dict[str, object] = {
        "status": alert.status.value,
        "last_event_at": alert.at,
        "last_received_at": ctx.now(),
        "deliveries": stored.deliveries + 1,
    }
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
        incident_id = delivery.open_incident_of(decision.group_key)
        if incident_id is not None:
            delivery.add_entry(incident_id, _join(alert))
        elif decision.declare:
            incident_id = _open(conn, ctx, who, alert, decision).id
            opened = True
        # the alert now holds its group's open incident (if any), whatever held it before
        delivery.open_incidents[decision.group_key] = incident_id
        values.update(incident_id=incident_id, group_key=decision.group_key)
    else:
        if alert.status is AlertStatus.RESOLVED:
            values["ends_at"] = alert.ends_at
        if incident_id is not None:
            delivery.add_entry(incident_id, _note(alert))
    store.update_alert(conn, stored, **values)
    if (
        alert.status is AlertStatus.RESOLVED
        and incident_id is not None
        and decision.resolve_incident
    ):
        delivery.write_timelines()  # the resolution comes after the alerts' entries
        _resolve_when_all_resolved(conn, ctx, who, incident_id)
        delivery.open_incidents.clear()  # the incident may be resolved: read them again
    _audit(conn, ctx, who, alert, decision, f"intake.alert_{alert.status.value}", incident_id)
    return _receipt(alert, Outcome.UPDATED, incident_id, opened)


def _open(
    conn: Connection, ctx: Context, who: Principal, alert: AlertIn, decision: RouteDecision
) -> Incident:
    return open_incident(
        conn,
        ctx,
        who,
        title=decision.title,
        severity=decision.severity,
        detected_at=alert.starts_at,
        scope=decision.scope,
        description=alert.timeline_text(),
    )


def _join(alert: AlertIn) -> Change:
    """The firing alert's `detected` entry on the incident it joins."""

    def apply(incident: Incident, by: str) -> None:
        before = {(p.field, p.code) for p in incident.consistency_problems()}
        entry = incident.add_entry(
            TimelineEntry(
                at=alert.starts_at, kind=EntryKind.DETECTED, text=alert.timeline_text(), author=by
            )
        )
        after = {(p.field, p.code) for p in incident.consistency_problems()}
        if after - before:
            # a detection that would put the incident's milestones out of order (it
            # started before the incident's trigger): on the timeline as an update
            incident.timeline.remove(entry)
            incident.add_entry(
                TimelineEntry(
                    at=alert.starts_at, kind=EntryKind.UPDATE, text=alert.timeline_text(), author=by
                )
            )

    return apply


def _note(alert: AlertIn) -> Change:
    """The alert's resolution (or acknowledgement) on its incident's timeline."""

    def apply(incident: Incident, by: str) -> None:
        incident.add_entry(
            TimelineEntry(at=alert.at, kind=EntryKind.UPDATE, text=alert.timeline_text(), author=by)
        )

    return apply


def _resolve_when_all_resolved(
    conn: Connection, ctx: Context, who: Principal, incident_id: str
) -> None:
    held = store.alerts_of_incident(conn, incident_id)
    if any(a.status != AlertStatus.RESOLVED.value for a in held):
        return
    last = max(a.ends_at or a.last_event_at for a in held)

    def apply(incident: Incident, by: str) -> None:
        if incident.status.is_active:
            incident.change_status(
                Status.RESOLVED,
                at=last,
                by=by,
                text="All alerts resolved; resolved by routing rule",
            )

    change_incident(conn, ctx, incident_id, "incident.status", apply, who=who)


def _audit(
    conn: Connection,
    ctx: Context,
    who: Principal,
    alert: AlertIn,
    decision: RouteDecision,
    action: str,
    incident_id: str | None,
) -> None:
    record(
        conn,
        ctx,
        who,
        action=action,
        entity_type="alert",
        entity_id=f"{alert.source.value}:{alert.key}",
        changes={
            "status": alert.status.value,
            "name": alert.name,
            "severity": decision.severity,
            "group_key": decision.group_key,
            "routes": list(decision.routes),
            "incident": incident_id,
        },
    )


def _receipt(
    alert: AlertIn, outcome: Outcome, incident_id: str | None, opened: bool = False
) -> AlertReceipt:
    return AlertReceipt(alert.source.value, alert.key, outcome, incident_id, opened)
