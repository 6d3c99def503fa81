"""Migration 0007: assessments stored as whole documents become typed rows, and `warroom
init` computes them again in format 2, keeping an approval only where its inputs stand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import JSON, Column, MetaData, String, Table, Text, insert

from support.people import register_people
from warroom.domain.assessment import Approval, Review, ReviewRole, ReviewState
from warroom.domain.customers import Customer
from warroom.domain.sla import IncidentImpact, Month, assess, legacy_inputs_digest
from warroom.domain.window import TimeWindow
from warroom.formats.incident_file import read_incident_text
from warroom.formats.sla_policy import policy_to_dict, read_policy_text
from warroom.schemas.sla import AssessmentPublic
from warroom.services import sla
from warroom.services.context import Context
from warroom.store import audit
from warroom.store import incidents as incident_repo
from warroom.store.database import SCHEMA_REVISION, Database, DatabaseNotReady
from warroom.store.types import UTCDateTime

D = Decimal
INC = "INC-2025-1108-001"
NOW = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
POLICY = read_policy_text("""
currency: USD
claims: {deadline_days: 30}
tiers:
  enterprise:
    uptime_target: 99.95
    credits: [{below: 99.95, percent: 10}, {below: 99.0, percent: 25}]
""")
REGISTRY = (
    Customer("C1", "Acme", "enterprise", D("12345.65"), "USD"),
    Customer("C2", "Beta", "enterprise", D("2000.00"), "USD", ("eu-west",)),
    Customer("C3", "Gamma", "free", D("0"), "USD"),
)
INCIDENT = f"""
id: {INC}
title: Outage
severity: SEV-1
status: resolved
timeline:
  - {{at: 2025-11-08T14:02:00Z, kind: detected, text: alerts}}
  - {{at: 2025-11-08T19:49:00Z, kind: resolved, text: fixed}}
"""


@pytest.fixture
def old_db(tmp_path: Path) -> Iterator[Database]:
    """A database at revision 0005, the last that stored assessments as documents."""
    db = Database(f"sqlite:///{tmp_path / 'warroom.db'}")
    with db.transaction() as conn:
        command.upgrade(db._alembic(conn), "0005")
        [parsed] = read_incident_text(INCIDENT)
        incident_repo.add(conn, parsed.incident, now=NOW)
    register_people(db)
    yield db
    db.dispose()


def store_document(
    db: Database,
    *,
    registry: tuple[Customer, ...],
    digest_of: tuple[Customer, ...],
    state: ReviewState,
    approvals: list[dict[str, str]],
) -> None:
    """An assessment as revision 0002's code stored it: the registry and the figures as
    JSON, the fingerprint (format 1) of the inputs `digest_of`."""
    with db.reading() as conn:
        incident = incident_repo.get(conn, INC)
    window = incident.impact_window()
    assert window is not None
    own = IncidentImpact(window, incident.scope, None, incident_id=INC)
    month = Month(2025, 11)
    result = assess(POLICY, registry, own, month=month)
    review = Review(state, tuple(Approval(ReviewRole(a["role"]), a["by"]) for a in approvals))
    digest = legacy_inputs_digest(POLICY, digest_of, own, month=month, already_credited={})
    document = AssessmentPublic.of(
        INC,
        result,
        review,
        policy_source="policy.yaml",
        customers_source="customers.csv",
        fingerprint=digest,
    )
    old = Table(
        "sla_assessments",
        MetaData(),
        *(Column(name, JSON) for name in ("policy", "customers", "approvals", "result")),
        *(Column(name, Text) for name in ("policy_source", "customers_source")),
        *(Column(name, String) for name in ("incident_id", "month", "inputs_digest", "state")),
        *(Column(name, UTCDateTime) for name in ("created_at", "updated_at")),
    )
    with db.transaction() as conn:
        conn.execute(
            insert(old).values(
                incident_id=INC,
                month="2025-11",
                policy=policy_to_dict(POLICY),
                policy_source="policy.yaml",
                customers=[
                    {
                        "customer_id": c.customer_id,
                        "name": c.name,
                        "tier": c.tier,
                        "monthly_fee": str(c.monthly_fee),
                        "currency": c.currency,
                        "regions": list(c.regions),
                    }
                    for c in registry
                ],
                customers_source="customers.csv",
                inputs_digest=digest,
                state=state.value,
                approvals=approvals,
                result=document.to_data(),
                created_at=NOW,
                updated_at=NOW,
            )
        )


APPROVED = [{"role": "legal", "by": "Lee Legal"}, {"role": "finance", "by": "Fay Finance"}]


def test_an_approved_document_stays_approved_with_the_same_figures(old_db: Database) -> None:
    store_document(
        old_db,
        registry=REGISTRY,
        digest_of=REGISTRY,
        state=ReviewState.APPROVED,
        approvals=APPROVED,
    )
    before, after = old_db.migrate()
    assert (before, after) == ("0005", SCHEMA_REVISION)
    ctx = Context(db=old_db, actor="Ada Admin", clock=lambda: NOW)
    with pytest.raises(DatabaseNotReady, match="warroom init"):
        sla.get_assessment(ctx, INC)  # moved, not yet computed in format 2
    assert sla.upgrade_stored(ctx) == 1
    assert sla.upgrade_stored(ctx) == 0  # once
    found = sla.get_assessment(ctx, INC)
    assert found.review.state is ReviewState.APPROVED
    assert [(a.role, a.by) for a in found.review.approvals] == [
        (ReviewRole.LEGAL, "Lee Legal"),
        (ReviewRole.FINANCE, "Fay Finance"),
    ]
    fresh = assess(POLICY, REGISTRY, IncidentImpact(window_of(old_db)))
    assert found.result.rows == fresh.rows
    assert found.result.liability == fresh.liability
    billed = sla.approved_credits(Context(db=old_db, actor="Fay Finance"), INC)
    assert [(c.customer_id, c.credit_amount) for c in billed] == [
        ("C1", D("1234.57")),
        ("C2", D("200.00")),
    ]
    with old_db.reading() as conn:
        trail = audit.entries(conn, entity_id=INC, action_prefix="sla.")
    assert [e.action for e in trail] == ["sla.upgraded"]


def test_a_document_whose_inputs_moved_loses_its_approvals(old_db: Database) -> None:
    # approved for a registry without Gamma; the stored registry holds it
    store_document(
        old_db,
        registry=REGISTRY,
        digest_of=REGISTRY[:2],
        state=ReviewState.APPROVED,
        approvals=APPROVED,
    )
    old_db.migrate()
    ctx = Context(db=old_db, actor="Ada Admin", clock=lambda: NOW)
    assert sla.upgrade_stored(ctx) == 1
    found = sla.get_assessment(ctx, INC)
    assert found.review.state is ReviewState.PENDING_REVIEW and found.review.approvals == ()
    with old_db.reading() as conn:
        [entry] = audit.entries(conn, entity_id=INC, action_prefix="sla.")
    assert entry.action == "sla.inputs_changed"
    assert [v["by"] for v in entry.changes["voided"]] == ["Lee Legal", "Fay Finance"]


def test_a_draft_document_moves_as_a_draft(old_db: Database) -> None:
    store_document(
        old_db, registry=REGISTRY, digest_of=REGISTRY, state=ReviewState.DRAFT, approvals=[]
    )
    old_db.migrate()
    ctx = Context(db=old_db, actor="Ada Admin", clock=lambda: NOW)
    sla.upgrade_stored(ctx)
    found = sla.get_assessment(ctx, INC)
    assert found.review == Review(ReviewState.DRAFT)
    assert {r.customer_id for r in found.result.rows} == {"C1", "C2", "C3"}


def window_of(db: Database) -> TimeWindow:
    with db.reading() as conn:
        window = incident_repo.get(conn, INC).impact_window()
    assert window is not None
    return window
