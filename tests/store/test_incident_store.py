"""The incident repository and the audit log, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from warroom.domain.audience import Audience
from warroom.domain.errors import Conflict, NotFound
from warroom.domain.incident import ActionStatus, Classification, Incident, Role
from warroom.domain.lifecycle import Status
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.services.context import Context
from warroom.store import audit
from warroom.store import incidents as repo
from warroom.store.database import SCHEMA_REVISION, Database, DatabaseNotReady

T0 = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)


def make_incident(incident_id: str = "INC-2025-1108-001") -> Incident:
    incident = Incident(
        id=incident_id,
        title="Primary database down",
        severity="SEV-1",
        status=Status.IDENTIFIED,
        classification=Classification.CONFIDENTIAL,
        roles={Role.COMMANDER: "Jane Doe", Role.SCRIBE: "Sam Scribe"},
        scope=Scope(regions=("eu-west", "us-east"), services=None),
        data_loss="None confirmed",
        root_cause="Pool exhausted",
        contributing_factors=["retry storm", "shared config"],
    )
    incident.add_entry(TimelineEntry(T0, EntryKind.DETECTED, "alerts", author="Riley"))
    incident.add_entry(
        TimelineEntry(
            T0 + timedelta(minutes=6), EntryKind.DECLARED, "SEV-1", audience=Audience.PUBLIC
        )
    )
    incident.add_action("Load test config changes", owner="Ana", due=date(2025, 12, 15))
    return incident


def test_it_stores_and_loads_an_incident_unchanged(any_db: Database) -> None:
    with any_db.transaction() as conn:
        stored = repo.add(conn, make_incident(), now=T0)
    with any_db.reading() as conn:
        loaded = repo.get(conn, "INC-2025-1108-001")
    original = make_incident()
    assert loaded.title == original.title
    assert loaded.roles == original.roles
    assert loaded.scope == original.scope
    assert loaded.contributing_factors == original.contributing_factors
    assert [(e.at, e.kind, e.text, e.author, e.audience) for e in loaded.timeline] == [
        (e.at, e.kind, e.text, e.author, e.audience) for e in original.timeline
    ]
    assert loaded.timeline[0].at.tzinfo is not None
    assert loaded.timeline[0].at == T0
    assert all(e.id is not None for e in stored.timeline)
    assert loaded.actions == original.actions


def test_it_keeps_times_in_utc_whatever_offset_they_came_with(any_db: Database) -> None:
    incident = make_incident()
    incident.timeline[0] = TimelineEntry(
        datetime.fromisoformat("2025-11-08T09:02:00-05:00"), EntryKind.DETECTED, "alerts"
    )
    with any_db.transaction() as conn:
        repo.add(conn, incident, now=T0)
        loaded = repo.get(conn, incident.id)
    assert loaded.detected_at() == T0
    assert loaded.detected_at().utcoffset() == timedelta(0)


def test_it_numbers_incidents_per_day(any_db: Database) -> None:
    with any_db.transaction() as conn:
        assert repo.next_sequence(conn, date(2025, 11, 8)) == 1
        repo.add(conn, make_incident("INC-2025-1108-001"), now=T0)
        repo.add(conn, make_incident("INC-2025-1108-002"), now=T0)
        assert repo.next_sequence(conn, date(2025, 11, 8)) == 3
        assert repo.next_sequence(conn, date(2025, 11, 9)) == 1


def test_it_refuses_a_duplicate_id(any_db: Database) -> None:
    with any_db.transaction() as conn:
        repo.add(conn, make_incident(), now=T0)
    with pytest.raises(Conflict, match="already exists"), any_db.transaction() as conn:
        repo.add(conn, make_incident(), now=T0)


def test_it_appends_timeline_entries_and_keeps_their_ids(any_db: Database) -> None:
    with any_db.transaction() as conn:
        stored = repo.add(conn, make_incident(), now=T0)
    first_ids = [e.id for e in stored.timeline]
    stored.add_entry(TimelineEntry(T0 + timedelta(minutes=28), EntryKind.IDENTIFIED, "found"))
    stored.update_action(1, status=ActionStatus.DONE)
    with any_db.transaction() as conn:
        saved = repo.save(conn, stored, now=T0, expected_version=1)
    assert [e.id for e in saved.timeline[:2]] == first_ids
    assert len(saved.timeline) == 3
    assert saved.actions[0].status is ActionStatus.DONE


def test_what_add_and_save_return_is_what_get_reads(any_db: Database) -> None:
    with any_db.transaction() as conn:
        stored = repo.add(conn, make_incident(), now=T0)
        assert stored == repo.get(conn, stored.id)
        # entries out of time order, one at the time of an earlier one: get sorts them
        stored.add_entry(TimelineEntry(T0 + timedelta(hours=2), EntryKind.RESOLVED, "done"))
        stored.add_entry(TimelineEntry(T0, EntryKind.UPDATE, "at the detection's time"))
        stored.add_entry(TimelineEntry(T0 + timedelta(minutes=28), EntryKind.IDENTIFIED, "x"))
        _, version = repo.get_versioned(conn, stored.id)
        saved = repo.save(conn, stored, now=T0, expected_version=version, actions=False)
        assert saved == repo.get(conn, stored.id)
        assert [e.text for e in saved.timeline][:3] == [
            "alerts",
            "at the detection's time",
            "SEV-1",
        ]
        saved.add_action("Second action", owner="Bo")
        again = repo.save(conn, saved, now=T0, expected_version=version + 1)
        assert again == repo.get(conn, stored.id) and len(again.actions) == 2


def test_it_refuses_a_save_over_someone_elses_change(any_db: Database) -> None:
    with any_db.transaction() as conn:
        repo.add(conn, make_incident(), now=T0)
        first = repo.get(conn, "INC-2025-1108-001")
        repo.save(conn, first, now=T0, expected_version=1)  # now at version 2
    with pytest.raises(Conflict, match="changed by someone else"), any_db.transaction() as conn:
        repo.save(conn, first, now=T0, expected_version=1)


def test_it_says_which_incident_is_missing(any_db: Database) -> None:
    with pytest.raises(NotFound, match="INC-2099-0101-001"), any_db.reading() as conn:
        repo.get(conn, "INC-2099-0101-001")


def test_it_lists_by_status_severity_and_date(any_db: Database) -> None:
    with any_db.transaction() as conn:
        repo.add(conn, make_incident("INC-2025-1108-001"), now=T0)
        other = make_incident("INC-2025-1201-001")
        other.severity, other.status = "SEV-3", Status.INVESTIGATING
        repo.add(conn, other, now=T0)
        assert repo.list_ids(conn) == ["INC-2025-1201-001", "INC-2025-1108-001"]
        assert repo.list_ids(conn, severity=["SEV-3"]) == ["INC-2025-1201-001"]
        assert repo.list_ids(conn, status=["identified"]) == ["INC-2025-1108-001"]
        assert repo.list_ids(conn, since=date(2025, 11, 9)) == ["INC-2025-1201-001"]
        assert repo.list_ids(conn, until=date(2025, 11, 8)) == ["INC-2025-1108-001"]


def test_it_keeps_the_audit_log_append_only_in_the_database(any_db: Database) -> None:
    with any_db.transaction() as conn:
        audit.record(
            conn,
            at=T0,
            actor="Riley",
            action="incident.declare",
            entity_type="incident",
            entity_id="INC-2025-1108-001",
            changes={"title": {"before": None, "after": "x"}},
        )
    for statement in ("UPDATE audit_log SET actor = 'Mallory'", "DELETE FROM audit_log"):
        with pytest.raises((DBAPIError, IntegrityError)), any_db.transaction() as conn:
            conn.execute(text(statement))
    with any_db.reading() as conn:
        entries = audit.entries(conn, entity_id="INC-2025-1108-001")
    assert [(e.actor, e.action) for e in entries] == [("Riley", "incident.declare")]
    assert entries[0].changes == {"title": {"before": None, "after": "x"}}
    assert entries[0].at == T0


def test_it_refuses_to_store_a_naive_time(any_db: Database) -> None:
    with pytest.raises(Exception, match="naive"), any_db.transaction() as conn:
        audit.record(
            conn,
            at=datetime(2025, 11, 8, 14, 2),
            actor="x",
            action="a",
            entity_type="incident",
            entity_id="i",
            changes={},
        )


def test_it_tells_the_user_to_run_init_on_an_empty_database(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotReady, match="warroom init"):
        db.check_ready()
    before, after = db.migrate()
    assert before is None and after == db.head_revision()
    db.check_ready()
    assert db.migrate() == (after, after)  # running init again changes nothing


def test_the_schema_revision_commands_check_is_the_newest_migration(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'head.db'}")
    assert db.head_revision() == SCHEMA_REVISION


def test_a_database_behind_the_newest_migration_is_refused_until_init(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.migrate()
    with db.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(DatabaseNotReady, match=r"schema 0001.*warroom init"):
        db.check_ready()


def test_it_reads_the_names_on_incidents_as_access_does(any_ctx: Context) -> None:
    from support.cli_world import REFERENCE_INCIDENT
    from support.people import acting
    from warroom.formats.incident_file import read_incident_file
    from warroom.services import incidents as service
    from warroom.services.access import participants

    stored = service.import_incidents(
        acting(any_ctx, "Ada Admin"), read_incident_file(REFERENCE_INCIDENT)
    )[0]
    service.add_event(any_ctx, stored.id, kind=EntryKind.NOTE, text="looked at it")
    incident = service.get_incident(any_ctx, stored.id)
    with any_ctx.db.reading() as conn:
        assert repo.names_on(conn, [stored.id]) == {stored.id: participants(incident)}
    assert participants(incident) == {"Jane Doe", "Bob", "Riley Responder"}
