"""Who may do what: every action of `domain.permissions` by every role, through the services.

The expectations come from the same table the code uses (`PERMISSIONS`): each action is
tried by each of the people of the access tests (one per role) and by an unregistered
person, on a fresh copy of one prepared database, and must succeed exactly when the
table allows it. A refusal changes nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from support.cli_world import POLICY
from support.people import PEOPLE, acting, register_people
from warroom.domain.assessment import ReviewRole
from warroom.domain.audience import Audience
from warroom.domain.contacts import Contact
from warroom.domain.customers import Customer
from warroom.domain.errors import NotFound, PermissionDenied
from warroom.domain.incident import Role
from warroom.domain.lifecycle import Status
from warroom.domain.permissions import PERMISSIONS, Action, UserRole, allowed
from warroom.domain.timeline import EntryKind
from warroom.formats.incident_file import read_incident_text
from warroom.formats.sla_policy import read_policy_text
from warroom.services import (
    contacts,
    impact,
    incidents,
    maintenance,
    metrics,
    notices,
    reports,
    sla,
    users,
)
from warroom.services.context import Context
from warroom.services.incidents import IncidentChanges
from warroom.store import audit
from warroom.store.database import Database

OPEN = "INC-2025-1108-001"  # internal, resolved: assessed and pending review
APPROVED = "INC-2025-1020-001"  # internal, resolved: assessed and approved
SECRET = "INC-2025-1021-001"  # confidential, its commander is Riley Responder
T = datetime(2025, 11, 30, 12, 0, tzinfo=UTC)
POLICY_DATA = read_policy_text(POLICY)
CUSTOMERS = (Customer("C1", "Acme", "enterprise", Decimal("10000.00"), "USD"),)


def incident_file(
    incident_id: str, day: str, classification: str, commander: str = "Jane Doe"
) -> str:
    return f"""
id: {incident_id}
title: Outage {incident_id}
severity: SEV-2
status: resolved
classification: {classification}
commander: {commander}
timeline:
  - {{at: {day}T10:00:00Z, kind: detected, text: alerts}}
  - {{at: {day}T11:00:00Z, kind: resolved, text: fixed}}
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database holding the three incidents, the people, and the two assessments."""
    path = tmp_path_factory.mktemp("access") / "prepared.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    register_people(db)
    admin = Context(db=db, actor="Ada Admin", clock=lambda: T)
    incidents.import_incidents(
        admin, read_incident_text(incident_file(OPEN, "2025-11-08", "internal"))
    )
    incidents.import_incidents(
        admin, read_incident_text(incident_file(APPROVED, "2025-10-20", "internal"))
    )
    incidents.import_incidents(
        admin,
        read_incident_text(
            incident_file(SECRET, "2025-10-21", "confidential", commander="Riley Responder")
        ),
    )
    for incident_id in (OPEN, APPROVED):
        sla.assess_incident(
            admin,
            incident_id,
            policy=POLICY_DATA,
            customers=CUSTOMERS,
            policy_source="policy.yaml",
            customers_source="customers.csv",
        )
        sla.submit(admin, incident_id)
    sla.approve(acting(admin, "Lee Legal"), APPROVED, role=ReviewRole.LEGAL)
    sla.approve(acting(admin, "Fay Finance"), APPROVED, role=ReviewRole.FINANCE)
    db.dispose()
    return path


def _review_role(ctx: Context) -> ReviewRole:
    held = users.list_users(acting(ctx, "Ada Admin"))
    roles = next((u.roles for u in held if u.name == ctx.actor), ())
    return ReviewRole.FINANCE if "finance" in roles else ReviewRole.LEGAL


PROBES: dict[Action, Callable[[Context], object]] = {
    Action.INCIDENT_READ: lambda c: incidents.get_incident(c, OPEN),
    Action.INCIDENT_DECLARE: lambda c: incidents.declare(c, title="New", severity="SEV-3"),
    Action.INCIDENT_IMPORT: lambda c: incidents.import_incidents(
        c, read_incident_text(incident_file("INC-2025-1109-001", "2025-11-09", "internal"))
    ),
    Action.INCIDENT_UPDATE: lambda c: incidents.update(
        c, OPEN, IncidentChanges(root_cause="a bad deploy")
    ),
    Action.INCIDENT_STATUS: lambda c: incidents.change_status(c, OPEN, Status.CLOSED),
    Action.INCIDENT_REOPEN: lambda c: incidents.reopen(
        c, OPEN, Status.INVESTIGATING, reason="it came back"
    ),
    Action.INCIDENT_ASSIGN: lambda c: incidents.assign(c, OPEN, Role.SCRIBE, "Sam"),
    Action.TIMELINE_ADD: lambda c: incidents.add_event(c, OPEN, kind=EntryKind.NOTE, text="a note"),
    Action.ACTION_WRITE: lambda c: incidents.add_action(c, OPEN, title="Canary deploys"),
    # allowed people get past the check to the log, which does not exist
    Action.IMPACT_RUN: lambda c: _expect_missing_log(c),
    Action.SLA_READ: lambda c: sla.get_assessment(c, OPEN),
    Action.SLA_ASSESS: lambda c: sla.assess_incident(
        c,
        OPEN,
        policy=POLICY_DATA,
        customers=CUSTOMERS,
        policy_source="policy-v2.yaml",
        customers_source="customers.csv",
    ),
    Action.SLA_REVIEW: lambda c: sla.request_changes(
        c, OPEN, role=_review_role(c), comment="check C1's fee"
    ),
    Action.SLA_EXPORT: lambda c: sla.approved_credits(c, APPROVED),
    Action.REPORT_READ_CONFIDENTIAL: lambda c: reports.report(c, OPEN, Audience.CONFIDENTIAL),
    Action.REPORT_PUBLISH: lambda c: reports.publish(c, OPEN, Audience.PUBLIC),
    Action.AUDIT_READ: lambda c: incidents.audit_trail(c, OPEN),
    Action.METRICS_READ: lambda c: metrics.overview(c),
    Action.USER_MANAGE: lambda c: users.add_user(c, "Newcomer", ["viewer"]),
    # approved, no contact on record: allowed people queue nothing, others are refused
    Action.NOTICE_SEND: lambda c: notices.send_notices(c, APPROVED),
    Action.NOTICE_READ: lambda c: notices.notice_status(c, APPROVED),
    Action.CONTACT_MANAGE: lambda c: contacts.load_contacts(
        c, [Contact("C1", ("ops@acme.example",))], source="customers.csv"
    ),
    Action.MAINTENANCE_WRITE: lambda c: maintenance.schedule(
        c,
        title="Database upgrade",
        starts_at=datetime(2025, 12, 3, 2, 0, tzinfo=UTC),
        ends_at=datetime(2025, 12, 3, 3, 0, tzinfo=UTC),
    ),
}
# Tokens and intake have their own doors (the API); their access tests live with them.
ELSEWHERE = {Action.TOKEN_MANAGE, Action.INTAKE_POST}


def _expect_missing_log(ctx: Context) -> None:
    from warroom.domain.errors import WarroomError

    try:
        impact.analyse(ctx, OPEN, requests="/nonexistent/requests.parquet")
    except PermissionDenied:
        raise
    except WarroomError:
        return  # past the access check, refused for the missing log
    raise AssertionError("a missing log must be refused")


def test_every_action_has_a_probe() -> None:
    assert set(PROBES) | ELSEWHERE == set(Action)
    assert set(PERMISSIONS) == set(Action)


def _people() -> list[tuple[str, frozenset[UserRole]]]:
    return [(name, frozenset(UserRole(r) for r in roles)) for name, roles in PEOPLE.items()]


@pytest.mark.parametrize("action", sorted(PROBES, key=str))
@pytest.mark.parametrize(("person", "roles"), [*_people(), ("Mallory Unknown", frozenset())])
def test_it_allows_exactly_what_the_table_says(
    prepared: Path, tmp_path: Path, action: Action, person: str, roles: frozenset[UserRole]
) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(prepared, copy)
    db = Database(f"sqlite:///{copy}")
    ctx = Context(db=db, actor=person, clock=lambda: T)
    with db.reading() as conn:
        before = len(audit.entries(conn))
    try:
        if allowed(action, roles):
            PROBES[action](ctx)
        else:
            with pytest.raises(PermissionDenied):
                PROBES[action](ctx)
            with db.reading() as conn:
                assert len(audit.entries(conn)) == before  # a refusal changes nothing
    finally:
        db.dispose()


def test_names_match_whatever_their_case_and_spacing(prepared: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(prepared, copy)
    db = Database(f"sqlite:///{copy}")
    ctx = Context(db=db, actor="  fay   FINANCE ", clock=lambda: T)
    assert len(sla.approved_credits(ctx, APPROVED)) == 1
    done = sla.request_changes(ctx, OPEN, role=ReviewRole.FINANCE, comment="recheck")
    assert done.review.state.value == "changes_requested"
    with db.reading() as conn:
        assert audit.entries(conn, entity_id=OPEN)[-1].actor == "Fay Finance"  # as registered
    db.dispose()


def test_a_confidential_incident_is_seen_by_its_people_and_the_configured_roles(
    prepared: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(prepared, copy)
    db = Database(f"sqlite:///{copy}")
    register_people(db, {"Rita Responder": ("responder",)})

    def as_(person: str, **settings: object) -> Context:
        return Context(db=db, actor=person, clock=lambda: T, **settings)  # type: ignore[arg-type]

    assert incidents.get_incident(as_("Riley Responder"), SECRET).id == SECRET  # its commander
    assert incidents.get_incident(as_("Lee Legal"), SECRET).id == SECRET  # a configured role
    for outsider in ("Rita Responder", "Val Viewer"):
        with pytest.raises(NotFound, match=f"no incident {SECRET}"):
            incidents.get_incident(as_(outsider), SECRET)
        assert SECRET not in [i.id for i in incidents.list_incidents(as_(outsider))]
    # named on its timeline, Rita sees it too
    incidents.add_event(
        as_("Riley Responder"),
        SECRET,
        kind=EntryKind.NOTE,
        text="Rita is helping",
        at=datetime(2025, 10, 21, 10, 30, tzinfo=UTC),
    )
    incidents.assign(as_("Riley Responder"), SECRET, Role.SCRIBE, "Rita Responder")
    assert incidents.get_incident(as_("Rita Responder"), SECRET).id == SECRET
    # a deployment that keeps confidential incidents from legal
    narrow = frozenset({UserRole.ADMIN})
    with pytest.raises(NotFound):
        incidents.get_incident(as_("Lee Legal", confidential_roles=narrow), SECRET)
    db.dispose()


def test_a_viewer_sees_credits_only_once_approved(prepared: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(prepared, copy)
    db = Database(f"sqlite:///{copy}")
    viewer = Context(db=db, actor="Val Viewer", clock=lambda: T)
    with pytest.raises(PermissionDenied, match="once legal and finance approve"):
        sla.get_assessment(viewer, OPEN)
    with pytest.raises(PermissionDenied, match="before legal and finance approve"):
        reports.report(viewer, OPEN, Audience.INTERNAL)
    assert reports.report(viewer, OPEN, Audience.PUBLIC).audience is Audience.PUBLIC
    assert sla.get_assessment(viewer, APPROVED).review.is_approved
    assert reports.report(viewer, APPROVED, Audience.INTERNAL).sla is not None
    db.dispose()


def test_approvals_can_require_an_authenticated_session(prepared: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(prepared, copy)
    db = Database(f"sqlite:///{copy}")
    strict = Context(db=db, actor="Lee Legal", clock=lambda: T, authenticated_approvals=True)
    with pytest.raises(PermissionDenied, match="authenticated sessions"):
        sla.approve(strict, OPEN, role=ReviewRole.LEGAL)
    strict.authenticated = True  # a web sign-in, an API token, or the CLI's password prompt
    assert sla.approve(strict, OPEN, role=ReviewRole.LEGAL).review.approval(ReviewRole.LEGAL)
    db.dispose()


def test_the_audit_log_names_the_door_and_the_login(prepared: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(prepared, copy)
    db = Database(f"sqlite:///{copy}")
    ctx = Context(db=db, actor="riley responder", clock=lambda: T, os_login="rroot")
    incidents.add_event(ctx, OPEN, kind=EntryKind.NOTE, text="from the terminal")
    with db.reading() as conn:
        entry = audit.entries(conn, entity_id=OPEN)[-1]
    assert (entry.actor, entry.channel, entry.os_login) == ("Riley Responder", "cli", "rroot")
    assert incidents.get_incident(ctx, OPEN).timeline[-1].author == "Riley Responder"
    db.dispose()
