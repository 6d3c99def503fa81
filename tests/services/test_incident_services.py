"""Incident use cases: declare, import, status, roles, timeline, actions, and their audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from support.people import acting
from warroom.domain.audience import Audience
from warroom.domain.errors import IllegalTransition, InvalidInput, NotFound
from warroom.domain.incident import ActionStatus, Role
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import EntryKind
from warroom.formats.incident_file import read_incident_text
from warroom.services import incidents as service
from warroom.services.context import Context
from warroom.services.metrics import metrics_of, overview

REFERENCE = """
id: INC-2025-1108-001
title: Service disruption - primary database cluster
severity: SEV-1
status: closed
classification: confidential
commander: Jane Doe
timeline:
  - {at: 2025-11-08T13:45:00Z, kind: trigger, text: Scheduled maintenance begins}
  - {at: 2025-11-08T14:02:00Z, kind: detected, text: First alerts}
  - {at: 2025-11-08T14:08:00Z, kind: declared, text: SEV-1 declared}
  - {at: 2025-11-08T14:30:00Z, kind: identified, text: Root cause identified}
  - {at: 2025-11-08T18:45:00Z, kind: mitigated, text: Primary services restored}
  - {at: 2025-11-08T19:49:00Z, kind: resolved, text: Full service restoration confirmed}
"""


def count_incidents(ctx: Context) -> int:
    return len(service.list_incidents(ctx))


def test_it_declares_an_incident_with_an_id_from_the_detection_date(any_ctx: Context) -> None:
    detected = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)
    first = service.declare(
        any_ctx, title="DB down", severity="sev1", detected_at=detected, commander="Jane Doe"
    )
    second = service.declare(any_ctx, title="Other", severity="SEV-3", detected_at=detected)
    assert first.id == "INC-2025-1108-001"
    assert second.id == "INC-2025-1108-002"
    assert first.severity == "SEV-1"
    assert first.commander == "Jane Doe"
    assert [(e.kind, e.at) for e in first.timeline] == [
        (EntryKind.DETECTED, detected),
        (EntryKind.DECLARED, any_ctx.now()),
    ]
    assert metrics_of(first).time_to_declare.total_seconds() == 8 * 60


def test_it_refuses_a_detection_time_in_the_future(ctx: Context) -> None:
    with pytest.raises(InvalidInput, match="future"):
        service.declare(
            ctx, title="x", severity="SEV-2", detected_at=datetime(2030, 1, 1, tzinfo=UTC)
        )
    assert count_incidents(ctx) == 0


def test_it_audits_every_change_with_before_and_after(any_ctx: Context, clock) -> None:
    incident = service.declare(any_ctx, title="DB down", severity="SEV-2")
    clock.advance(minutes=5)
    service.update(any_ctx, incident.id, service.IncidentChanges(severity="SEV-1"))
    service.assign(any_ctx, incident.id, Role.COMMANDER, "Jane Doe")
    trail = service.audit_trail(any_ctx, incident.id)
    assert [e.action for e in trail] == ["incident.declare", "incident.update", "incident.assign"]
    assert all(e.actor == "Riley Responder" for e in trail)
    assert trail[1].changes["severity"] == {"before": "SEV-2", "after": "SEV-1"}
    assert trail[1].at == clock.now
    assert trail[2].changes["commander"] == {"before": None, "after": "Jane Doe"}
    assert trail[2].changes["timeline"]["added"][0]["text"] == "Jane Doe assigned as commander"


def test_it_moves_status_and_records_the_milestone(any_ctx: Context, clock) -> None:
    incident = service.declare(any_ctx, title="DB down", severity="SEV-1")
    clock.advance(minutes=20)
    service.change_status(any_ctx, incident.id, Status.IDENTIFIED, message="Pool exhausted")
    clock.advance(minutes=60)
    service.change_status(any_ctx, incident.id, Status.MONITORING, audience=Audience.PUBLIC)
    clock.advance(minutes=30)
    done = service.change_status(any_ctx, incident.id, Status.RESOLVED)
    kinds = [e.kind for e in done.ordered_timeline()]
    assert kinds[-3:] == [EntryKind.IDENTIFIED, EntryKind.MITIGATED, EntryKind.RESOLVED]
    assert done.timeline[-2].audience is Audience.PUBLIC
    assert metrics_of(done).duration.total_seconds() == 110 * 60
    assert metrics_of(done).time_to_identify.total_seconds() == 20 * 60


def test_it_refuses_an_illegal_transition_and_changes_nothing(any_ctx: Context) -> None:
    incident = service.declare(any_ctx, title="DB down", severity="SEV-1")
    with pytest.raises(IllegalTransition, match="from investigating to closed"):
        service.change_status(any_ctx, incident.id, Status.CLOSED)
    after = service.get_incident(any_ctx, incident.id)
    assert after.status is Status.INVESTIGATING
    assert len(after.timeline) == len(incident.timeline)
    assert [e.action for e in service.audit_trail(any_ctx, incident.id)] == ["incident.declare"]


def test_it_reopens_only_with_a_reason(ctx: Context) -> None:
    incident = service.declare(ctx, title="DB down", severity="SEV-1")
    service.change_status(ctx, incident.id, Status.RESOLVED)
    service.change_status(ctx, incident.id, Status.CLOSED)
    with pytest.raises(IllegalTransition, match="reopen"):
        service.change_status(ctx, incident.id, Status.INVESTIGATING)
    with pytest.raises(IllegalTransition, match="reason"):
        service.reopen(ctx, incident.id, Status.INVESTIGATING, reason="  ")
    reopened = service.reopen(ctx, incident.id, Status.INVESTIGATING, reason="errors are back")
    assert reopened.status is Status.INVESTIGATING
    assert "errors are back" in reopened.timeline[-1].text
    assert service.audit_trail(ctx, incident.id)[-1].action == "incident.reopen"


def test_it_imports_the_reference_incident(any_ctx: Context) -> None:
    [stored] = service.import_incidents(any_ctx, read_incident_text(REFERENCE))
    metrics = metrics_of(stored)
    assert stored.id == "INC-2025-1108-001"
    assert metrics.duration.total_seconds() / 60 == 347
    assert metrics.time_to_mitigate.total_seconds() / 60 == 283


def test_it_imports_nothing_when_one_id_already_exists(any_ctx: Context) -> None:
    service.import_incidents(any_ctx, read_incident_text(REFERENCE))
    second = REFERENCE.replace("INC-2025-1108-001", "INC-2025-1108-002")
    batch = read_incident_text(
        f"incidents:\n  - {_indent(second)}\n  - {_indent(REFERENCE)}", source="batch.yaml"
    )
    with pytest.raises(InvalidInput) as caught:
        service.import_incidents(any_ctx, batch)
    problem = caught.value.problems[0]
    assert problem.code == "duplicate_id"
    assert problem.source == "batch.yaml" and problem.field == "incidents[1].id"
    assert "INC-2025-1108-001 already exists" in problem.message
    assert [i.id for i in service.list_incidents(any_ctx)] == ["INC-2025-1108-001"]


def test_it_numbers_imported_incidents_without_an_id(any_ctx: Context) -> None:
    service.import_incidents(any_ctx, read_incident_text(REFERENCE))
    without_id = REFERENCE.replace("id: INC-2025-1108-001\n", "")
    stored = service.import_incidents(any_ctx, read_incident_text(without_id))
    assert stored[0].id == "INC-2025-1108-002"


def test_it_numbers_corrective_actions_and_updates_them(ctx: Context) -> None:
    incident = service.declare(ctx, title="DB down", severity="SEV-1")
    first = service.add_action(
        ctx, incident.id, title="Load test config", owner="Ana", due=date(2025, 12, 15)
    )
    second = service.add_action(ctx, incident.id, title="Circuit breakers")
    assert (first.number, second.number) == (1, 2)
    done = service.update_action(ctx, incident.id, 1, status=ActionStatus.DONE)
    assert done.status is ActionStatus.DONE and done.owner == "Ana"
    with pytest.raises(NotFound, match="no corrective action 7"):
        service.update_action(ctx, incident.id, 7, status=ActionStatus.DONE)
    with pytest.raises(InvalidInput, match="no field 'colour'"):
        service.update_action(ctx, incident.id, 1, colour="red")


def test_it_adds_timeline_entries_with_author_and_audience(ctx: Context) -> None:
    incident = service.declare(ctx, title="DB down", severity="SEV-1")
    at = datetime(2025, 11, 8, 14, 15, tzinfo=UTC)
    updated = service.add_event(
        ctx,
        incident.id,
        kind=EntryKind.UPDATE,
        text="Customer impact confirmed",
        at=at,
        audience=Audience.PUBLIC,
    )
    entry = next(e for e in updated.timeline if e.text == "Customer impact confirmed")
    assert (entry.at, entry.author, entry.audience) == (at, "Riley Responder", Audience.PUBLIC)


def test_it_refuses_a_resolved_entry_before_the_start_of_impact(ctx: Context) -> None:
    incident = service.declare(
        ctx, title="DB down", severity="SEV-1", detected_at=datetime(2025, 11, 8, 14, 2, tzinfo=UTC)
    )
    with pytest.raises(InvalidInput, match="is before"):
        service.add_event(
            ctx,
            incident.id,
            kind=EntryKind.RESOLVED,
            text="done",
            at=datetime(2025, 11, 8, 13, 0, tzinfo=UTC),
        )
    assert len(service.get_incident(ctx, incident.id).timeline) == 2


def test_it_summarises_metrics_by_severity(ctx: Context) -> None:
    service.import_incidents(ctx, read_incident_text(REFERENCE))
    faster = REFERENCE.replace("INC-2025-1108-001", "INC-2025-1108-002").replace(
        "19:49:00Z, kind: resolved", "15:02:00Z, kind: resolved"
    )
    service.import_incidents(ctx, read_incident_text(faster))
    minor = service.declare(ctx, title="Slow search", severity="SEV-4")
    result = overview(ctx, since=date(2025, 11, 1), until=date(2025, 11, 30))
    assert result.counts == {"all": 3, "SEV-1": 2, "SEV-4": 1}
    resolve = result.by_severity["SEV-1"]["time_to_resolve"]
    assert resolve.count == 2
    assert resolve.median.total_seconds() / 60 == (347 + 60) / 2
    assert resolve.p90.total_seconds() / 60 == pytest.approx(60 + 0.9 * (347 - 60))
    assert result.by_severity["SEV-4"]["time_to_resolve"].count == 0
    assert minor.id.startswith("INC-2025-1108-")


def _indent(text: str) -> str:
    lines = text.strip().splitlines()
    return "\n    ".join(lines)


def test_it_refuses_a_trigger_added_after_the_detection(ctx: Context) -> None:
    incident = service.declare(
        ctx, title="DB down", severity="SEV-1", detected_at=datetime(2025, 11, 8, 14, 2, tzinfo=UTC)
    )
    with pytest.raises(InvalidInput, match="after the first detection"):
        service.add_event(
            ctx,
            incident.id,
            kind=EntryKind.TRIGGER,
            text="deploy",
            at=datetime(2025, 11, 8, 14, 5, tzinfo=UTC),
        )
    service.add_event(
        ctx,
        incident.id,
        kind=EntryKind.TRIGGER,
        text="deploy",
        at=datetime(2025, 11, 8, 13, 55, tzinfo=UTC),
    )
    assert overview_metric(ctx, incident.id) == 7


def test_an_incident_stored_out_of_order_can_still_be_worked_on(ctx: Context) -> None:
    """An incident an older warroom stored with its trigger after the detection: new
    entries are accepted, and its time to detect is left out rather than negative."""
    incident = service.declare(
        ctx, title="DB down", severity="SEV-1", detected_at=datetime(2025, 11, 8, 14, 2, tzinfo=UTC)
    )
    with ctx.db.transaction() as conn:
        conn.execute(
            text(
                "INSERT INTO timeline_entries (incident_id, at, kind, text, audience) "
                "VALUES (:i, '2025-11-08 14:30:00.000000', 'trigger', 'late', "
                "'internal')"
            ),
            {"i": incident.id},
        )
    service.add_event(ctx, incident.id, kind=EntryKind.NOTE, text="still working")
    assert overview_metric(ctx, incident.id) is None


def overview_metric(ctx: Context, incident_id: str) -> float | None:
    from warroom.domain.metrics import minutes

    return minutes(metrics_of(service.get_incident(ctx, incident_id)).time_to_detect)


def test_metrics_across_incidents_are_those_of_each_incident(any_ctx: Context) -> None:
    """The overview reads only each incident's first entries of each kind; its figures
    are those of the incidents read whole (one definition, `domain.metrics`)."""
    from datetime import timedelta

    from warroom.domain.metrics import METRIC_NAMES, metric_spreads

    service.import_incidents(any_ctx, read_incident_text(REFERENCE))
    start = datetime(2025, 11, 2, 8, 0, tzinfo=UTC)
    for n in range(6):
        declared = service.declare(
            any_ctx,
            title=f"Outage {n}",
            severity=f"SEV-{1 + n % 3}",
            detected_at=start + timedelta(hours=n),
        )
        for minutes, kind in (
            (-5 * n, EntryKind.TRIGGER),
            (7 + n, EntryKind.IDENTIFIED),
            (30 * n, EntryKind.MITIGATED),
            (60 + n, EntryKind.RESOLVED),
            (61 + n, EntryKind.RESOLVED),
            (20, EntryKind.NOTE),
        ):
            if n % 2 and kind is EntryKind.MITIGATED:
                continue  # some without a mitigation: their metric is missing, not zero
            service.add_event(
                any_ctx,
                declared.id,
                kind=kind,
                text=f"{kind.value} {n}",
                at=start + timedelta(hours=n, minutes=minutes),
            )
    admin = acting(any_ctx, "Ada Admin")  # reads the confidential reference incident too
    found = overview(admin, since=date(2025, 11, 1))
    everything = service.list_incidents(admin)
    assert found.incidents == len(everything) == 7
    for severity in found.by_severity:
        group = [i for i in everything if severity in ("all", i.severity)]
        assert found.counts[severity] == len(group)
        expected = metric_spreads([metrics_of(i) for i in group])
        assert {n: found.by_severity[severity][n] for n in METRIC_NAMES} == expected


def test_it_lists_a_page_of_what_the_reader_may_see(any_ctx: Context) -> None:
    service.import_incidents(any_ctx, read_incident_text(REFERENCE))  # confidential
    opened = [
        service.declare(
            any_ctx,
            title=f"Incident {n}",
            severity="SEV-3",
            detected_at=datetime(2025, 11, 1 + n, 9, tzinfo=UTC),
        ).id
        for n in range(4)
    ]
    admin, viewer = acting(any_ctx, "Ada Admin"), acting(any_ctx, "Val Viewer")
    assert [i.id for i in service.list_incidents(admin, limit=2, offset=1)] == opened[::-1][
        :2
    ]  # the reference incident (8 November) comes first
    assert service.count_incidents(viewer) == 4 and service.count_incidents(admin) == 5
    assert [i.id for i in service.list_incidents(viewer, offset=3)] == [opened[0]]
