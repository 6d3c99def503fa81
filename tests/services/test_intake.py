"""Alert and change intake: real payloads in, incidents and timelines out, each alert once."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from support.people import acting
from warroom.domain.alerts import ChangeIn, ChangeKind
from warroom.domain.errors import PermissionDenied
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import EntryKind
from warroom.formats.routing_file import read_routing_text
from warroom.ingest import parse_alerts
from warroom.ingest.change import parse_change
from warroom.services import incidents, intake
from warroom.services.context import Channel, Context
from warroom.services.intake import Outcome
from warroom.store import audit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "alertmanager"
FIRING = "alertmanager-0.25-webhook-firing-amtool.json"  # HighErrorRate, critical, checkout
RESOLVED = "alertmanager-0.25-webhook-resolved-api.json"
GROUP = "alertmanager-0.25-webhook-group-two-alerts.json"  # DiskFull x2, warning, db
PD_TRIGGER = "alertmanager-0.25-pagerduty-v2-trigger.json"  # HighLatency, warning, search
PD_RESOLVE = "alertmanager-0.25-pagerduty-v2-resolve.json"
STARTS = datetime(2026, 11, 26, 19, 23, 18, 441250, tzinfo=UTC)  # of the firing fixture


def body(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def deliver(ctx: Context, payload: Any, source: str = "alertmanager") -> list[intake.AlertReceipt]:
    alerts = parse_alerts(source, payload, received_at=ctx.now(), new_key=lambda: "generated")
    return intake.receive_alerts(ctx, alerts)


@pytest.fixture
def sender(any_ctx: Context, clock) -> Context:  # type: ignore[no-untyped-def]
    """Alertmanager's intake token, on SQLite and PostgreSQL, the clock after the alerts."""
    clock.now = datetime(2026, 11, 26, 19, 30, tzinfo=UTC)
    return dataclasses.replace(
        any_ctx, actor="alertmanager", intake_only=True, channel=Channel.INTAKE, authenticated=True
    )


def staff(sender: Context) -> Context:
    return dataclasses.replace(
        sender, actor="Riley Responder", intake_only=False, channel=Channel.CLI
    )


def trail(ctx: Context) -> list[audit.AuditEntry]:
    with ctx.db.reading() as conn:
        return audit.entries(conn)


def test_a_critical_alert_opens_an_incident_with_a_detected_entry(sender: Context) -> None:
    [receipt] = deliver(sender, body(FIRING))
    assert (receipt.outcome, receipt.opened) == (Outcome.CREATED, True)
    assert receipt.incident_id == "INC-2026-1126-001"  # the day the alert started
    incident = incidents.get_incident(staff(sender), receipt.incident_id)
    assert incident.title == "HighErrorRate - Checkout 5xx ratio above 5%"
    assert incident.severity == "SEV-1" and incident.status is Status.INVESTIGATING
    assert incident.scope.services == ("checkout",)
    detected = incident.timeline[0]
    assert (detected.kind, detected.at, detected.author) == (
        EntryKind.DETECTED,
        STARTS,
        "alertmanager",
    )
    assert detected.text == "Alert firing: HighErrorRate - Checkout 5xx ratio above 5%"
    entry = trail(sender)[-1]
    assert (entry.action, entry.actor, entry.channel) == ("intake.alert", "alertmanager", "intake")


def test_the_same_delivery_again_changes_nothing(sender: Context) -> None:
    deliver(sender, body(FIRING))
    before = (trail(sender), incidents.list_incidents(staff(sender)))
    for _ in range(3):  # Alertmanager's repeats and retries
        [receipt] = deliver(sender, body(FIRING))
        assert receipt.outcome is Outcome.DUPLICATE
        assert receipt.incident_id == "INC-2026-1126-001"
    assert (trail(sender), incidents.list_incidents(staff(sender))) == before
    [alert] = intake.list_alerts(staff(sender))
    assert alert.deliveries == 1


def test_a_resolution_is_written_to_the_timeline_and_people_resolve(sender: Context) -> None:
    deliver(sender, body(FIRING))
    [receipt] = deliver(sender, body(RESOLVED))
    assert receipt.outcome is Outcome.UPDATED
    incident = incidents.get_incident(staff(sender), "INC-2026-1126-001")
    assert incident.status is Status.INVESTIGATING  # resolved by people, not by alerts
    [resolution] = [e for e in incident.timeline if e.kind is EntryKind.UPDATE]
    assert resolution.text == "Alert resolved: HighErrorRate - Checkout 5xx ratio above 5%"
    assert resolution.at == datetime(2026, 11, 26, 19, 23, 19, 984000, tzinfo=UTC)  # endsAt
    [alert] = intake.alerts_of(staff(sender), "INC-2026-1126-001")
    assert alert.status == "resolved" and alert.ends_at is not None
    assert alert.annotations["runbook_url"]  # kept: the resolve may send empty ones
    assert deliver(sender, body(RESOLVED))[0].outcome is Outcome.DUPLICATE
    assert deliver(sender, body(FIRING))[0].outcome is Outcome.STALE  # a late retry


def test_a_routing_rule_may_let_alerts_resolve_their_incident(sender: Context) -> None:
    rules = read_routing_text("""
routes:
  - name: checkout
    matchers: ['service="checkout"']
    resolve_incident: true
""")
    ruled = dataclasses.replace(sender, routing=rules)
    deliver(ruled, body(FIRING))
    deliver(ruled, body(RESOLVED))
    incident = incidents.get_incident(staff(sender), "INC-2026-1126-001")
    assert incident.status is Status.RESOLVED
    assert incident.impact_window() is not None


def test_warnings_are_stored_for_triage_without_an_incident(sender: Context) -> None:
    receipts = deliver(sender, body(GROUP))
    assert [(r.outcome, r.incident_id) for r in receipts] == [(Outcome.CREATED, None)] * 2
    assert incidents.list_incidents(staff(sender)) == []
    waiting = intake.list_alerts(staff(sender), unattached=True)
    assert sorted(a.labels["instance"] for a in waiting) == ["db-1:9100", "db-2:9100"]
    assert {a.routed_severity for a in waiting} == {"SEV-3"}


def test_alerts_of_one_group_join_its_open_incident(sender: Context) -> None:
    first = body(FIRING)
    second = body(FIRING)
    second["alerts"][0]["fingerprint"] = "0000000000000001"
    second["alerts"][0]["labels"]["instance"] = "other"
    second["alerts"][0]["startsAt"] = "2026-11-26T19:25:00Z"
    [a] = deliver(sender, first)
    [b] = deliver(sender, second)
    assert (b.incident_id, b.opened) == (a.incident_id, False)
    incident = incidents.get_incident(staff(sender), a.incident_id)
    assert [e.kind for e in incident.timeline].count(EntryKind.DETECTED) == 2
    # once people resolved it, the group's next alert opens a new incident
    incidents.change_status(staff(sender), a.incident_id, Status.RESOLVED)
    third = body(FIRING)
    third["alerts"][0]["fingerprint"] = "0000000000000002"
    third["alerts"][0]["startsAt"] = "2026-11-26T19:29:00Z"
    [c] = deliver(sender, third)
    assert c.opened and c.incident_id == "INC-2026-1126-002"


def test_a_group_reaches_its_incident_in_one_change_per_delivery(sender: Context) -> None:
    group = body(GROUP)
    for alert in group["alerts"]:
        alert["labels"]["severity"] = "critical"
    first, second = deliver(sender, group)
    assert first.opened and (second.incident_id, second.opened) == (first.incident_id, False)
    for alert in group["alerts"]:
        alert.update(status="resolved", endsAt="2026-11-26T19:28:00Z")
    deliver(sender, group)
    incident = incidents.get_incident(staff(sender), first.incident_id)
    assert sorted(e.kind for e in incident.timeline) == sorted(
        [
            EntryKind.DETECTED,
            EntryKind.DETECTED,
            EntryKind.DECLARED,
            EntryKind.UPDATE,
            EntryKind.UPDATE,
        ]
    )
    assert sorted(e.text for e in incident.timeline if e.kind is EntryKind.UPDATE) == [
        "Alert resolved: DiskFull - Disk > 90% on db-1",
        "Alert resolved: DiskFull - Disk > 90% on db-2",
    ]
    on_incident = [e.action for e in trail(sender) if e.entity_id == first.incident_id]
    # opened by the first alert, joined by the second, both resolutions in one change
    assert on_incident == ["incident.declare", "timeline.add", "timeline.add"]
    assert [e.action for e in trail(sender) if e.entity_type == "alert"] == [
        "intake.alert",
        "intake.alert",
        "intake.alert_resolved",
        "intake.alert_resolved",
    ]


def test_pagerduty_events_share_their_dedup_key(sender: Context) -> None:
    rules = read_routing_text("defaults: {declare: true}")
    ruled = dataclasses.replace(sender, routing=rules)
    [trigger] = deliver(ruled, body(PD_TRIGGER), "pagerduty")
    assert trigger.opened and trigger.key == body(PD_TRIGGER)["dedup_key"]
    assert deliver(ruled, body(PD_TRIGGER), "pagerduty")[0].outcome is Outcome.DUPLICATE
    [resolve] = deliver(ruled, body(PD_RESOLVE), "pagerduty")
    assert (resolve.outcome, resolve.incident_id) == (Outcome.UPDATED, trigger.incident_id)


def test_an_intake_token_may_only_post_alerts(sender: Context) -> None:
    with pytest.raises(PermissionDenied, match="only post alerts"):
        incidents.declare(sender, title="x", severity="SEV-1")
    with pytest.raises(PermissionDenied, match="only post alerts"):
        incidents.list_incidents(sender)
    # a person needs the table's intake.post (admins) to post alerts by hand
    with pytest.raises(PermissionDenied):
        deliver(staff(sender), body(FIRING))
    assert deliver(acting(staff(sender), "Ada Admin"), body(FIRING))[0].opened


def change(at: datetime, service: str | None = "checkout", key: str = "deploy-1") -> ChangeIn:
    return ChangeIn(
        key=key,
        kind=ChangeKind.DEPLOY,
        at=at,
        summary="checkout v2.14.0",
        service=service,
        author="Sam",
    )


def test_a_recent_change_is_shown_as_a_possible_trigger(sender: Context) -> None:
    assert (
        intake.receive_change(sender, change(STARTS - timedelta(minutes=30))).outcome
        is Outcome.CREATED
    )
    intake.receive_change(sender, change(STARTS - timedelta(hours=3), key="too-old"))
    intake.receive_change(
        sender, change(STARTS - timedelta(minutes=5), service="search", key="elsewhere")
    )
    [receipt] = deliver(sender, body(FIRING))
    incident = incidents.get_incident(staff(sender), receipt.incident_id)
    shown = [e for e in incident.timeline if e.kind is EntryKind.CHANGE]
    assert [(e.at, e.text) for e in shown] == [
        (
            STARTS - timedelta(minutes=30),
            "Possible trigger: Deploy on checkout: checkout v2.14.0 (by Sam)",
        )
    ]
    assert incident.detected_at() == STARTS  # a change is not a trigger until people say so


def test_a_change_reported_after_the_incident_opened_is_shown_too(sender: Context) -> None:
    [receipt] = deliver(sender, body(FIRING))
    maintenance = parse_change(
        {
            "id": "mnt-7",
            "kind": "maintenance_start",
            "at": "2026-11-26T18:45:00Z",
            "service": "checkout",
            "summary": "Scheduled maintenance begins",
        }
    )
    done = intake.receive_change(sender, maintenance)
    assert done.incidents == (receipt.incident_id,)
    assert intake.receive_change(sender, maintenance).outcome is Outcome.DUPLICATE
    incident = incidents.get_incident(staff(sender), receipt.incident_id)
    assert [e.text for e in incident.timeline if e.kind is EntryKind.CHANGE] == [
        "Possible trigger: Maintenance started on checkout: Scheduled maintenance begins"
    ]


def test_a_hand_declared_incident_looks_back_for_changes_too(sender: Context) -> None:
    intake.receive_change(sender, change(STARTS - timedelta(minutes=10)))
    incident = incidents.declare(
        staff(sender), title="Checkout slow", severity="SEV-2", detected_at=STARTS
    )
    assert [e.kind for e in incident.timeline].count(EntryKind.CHANGE) == 1
