"""SLA assessment use cases: credits from stored data, the legal + finance gate, the audit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from support.people import acting, register_people
from warroom.domain.assessment import NotApproved, ReviewRole, ReviewState
from warroom.domain.customers import Customer
from warroom.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from warroom.domain.timeline import EntryKind
from warroom.formats.incident_file import read_incident_text
from warroom.formats.sla_policy import read_policy_text
from warroom.services import incidents, sla
from warroom.services.context import Context
from warroom.store import audit

POLICY = read_policy_text("""
currency: USD
claims: {deadline_days: 30}
tiers:
  enterprise:
    uptime_target: 99.95
    credits: [{below: 99.95, percent: 10}, {below: 99.0, percent: 25}, {below: 95.0, percent: 100}]
  business:
    uptime_target: 99.9
    credits: [{below: 99.9, percent: 5}, {below: 99.0, percent: 10}]
""")

CUSTOMERS = (
    Customer("C1", "Acme", "enterprise", Decimal("12345.65"), "USD"),
    Customer("C2", "Beta", "business", Decimal("2000.00"), "USD", ("eu-west",)),
    Customer("C3", "Gamma", "free", Decimal("0"), "USD"),
    Customer("C4", "Delta", "enterprise", Decimal("5000.00"), "USD", ("us-east",)),
)


def incident_text(incident_id: str, start: str, end: str, regions: str = "all") -> str:
    return f"""
id: {incident_id}
title: Outage
severity: SEV-1
status: resolved
scope: {{regions: {regions}}}
timeline:
  - {{at: {start}, kind: detected, text: alerts}}
  - {{at: {end}, kind: resolved, text: fixed}}
"""


@pytest.fixture
def reviewed(any_ctx: Context) -> Context:
    """The reference incident (347 min) plus legal, finance and a person with both roles."""
    incidents.import_incidents(
        any_ctx,
        read_incident_text(
            incident_text("INC-2025-1108-001", "2025-11-08T14:02:00Z", "2025-11-08T19:49:00Z")
        ),
    )
    register_people(any_ctx.db, {"Bo Both": ("legal", "finance")})
    return any_ctx


def assess(ctx: Context, incident_id: str = "INC-2025-1108-001") -> sla.Assessment:
    return sla.assess_incident(
        ctx,
        incident_id,
        policy=POLICY,
        customers=CUSTOMERS,
        policy_source="policy.yaml",
        customers_source="customers.csv",
    )


def test_it_assesses_declared_downtime_when_no_logs_were_analysed(reviewed: Context) -> None:
    result = assess(reviewed)
    assert result.review.state is ReviewState.DRAFT
    assert not result.result.logs_analysed
    rows = {r.customer_id: r for r in result.result.rows}
    assert rows["C1"].credit_high == Decimal("1234.57")  # 10 % of 12,345.65, half-up
    assert rows["C2"].credit_high == Decimal("100.00")
    assert rows["C3"].credit_high == Decimal("0.00") and not rows["C3"].has_sla
    assert result.result.liability.low == result.result.liability.high == Decimal("1834.57")
    public = result.public()
    assert public.note and "declared" in public.note


def test_it_counts_every_incident_of_the_month(reviewed: Context) -> None:
    # a second 100-minute incident in November, scoped to us-east only
    incidents.import_incidents(
        reviewed,
        read_incident_text(
            incident_text(
                "INC-2025-1120-001", "2025-11-20T10:00:00Z", "2025-11-20T11:40:00Z", "[us-east]"
            )
        ),
    )
    rows = {r.customer_id: r for r in assess(reviewed).result.rows}
    assert rows["C1"].down_minutes_declared == 447  # all regions: both incidents
    assert rows["C2"].down_minutes_declared == 347  # eu-west only: not the second
    assert rows["C4"].down_minutes_declared == 447


def test_it_needs_legal_and_finance_from_two_people(reviewed: Context) -> None:
    assess(reviewed)
    sla.submit(reviewed, "INC-2025-1108-001")
    after_legal = sla.approve(
        acting(reviewed, "Bo Both"), "INC-2025-1108-001", role=ReviewRole.LEGAL
    )
    assert after_legal.review.state is ReviewState.PENDING_REVIEW
    with pytest.raises(Conflict, match="different person"):
        sla.approve(acting(reviewed, "Bo Both"), "INC-2025-1108-001", role=ReviewRole.FINANCE)
    with pytest.raises(Conflict, match="already approved"):
        sla.approve(acting(reviewed, "Lee Legal"), "INC-2025-1108-001", role=ReviewRole.LEGAL)
    with pytest.raises(PermissionDenied, match="does not hold the finance role"):
        sla.approve(acting(reviewed, "Lee Legal"), "INC-2025-1108-001", role=ReviewRole.FINANCE)
    with pytest.raises(PermissionDenied, match="not a registered user"):
        sla.approve(acting(reviewed, "Mallory"), "INC-2025-1108-001", role=ReviewRole.FINANCE)
    assert (
        sla.get_assessment(reviewed, "INC-2025-1108-001").review.state is ReviewState.PENDING_REVIEW
    )
    done = sla.approve(
        acting(reviewed, "Fay Finance"), "INC-2025-1108-001", role=ReviewRole.FINANCE
    )
    assert done.review.state is ReviewState.APPROVED


def test_it_refuses_to_approve_a_draft(reviewed: Context) -> None:
    assess(reviewed)
    with pytest.raises(IllegalTransition, match="pending review"):
        sla.approve(acting(reviewed, "Lee Legal"), "INC-2025-1108-001", role=ReviewRole.LEGAL)


def test_it_voids_approval_when_an_input_changes(reviewed: Context, clock) -> None:
    assess(reviewed)
    sla.submit(reviewed, "INC-2025-1108-001")
    sla.approve(acting(reviewed, "Lee Legal"), "INC-2025-1108-001", role=ReviewRole.LEGAL)
    sla.approve(acting(reviewed, "Fay Finance"), "INC-2025-1108-001", role=ReviewRole.FINANCE)
    assert len(sla.approved_credits(acting(reviewed, "Fay Finance"), "INC-2025-1108-001")) == 3
    clock.advance(minutes=5)
    # the timeline moves the end of impact: the declared downtime changes
    incidents.add_event(
        reviewed,
        "INC-2025-1108-001",
        kind=EntryKind.RESOLVED,
        text="earlier",
        at=datetime(2025, 11, 8, 19, 0, tzinfo=UTC),
    )
    now = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert now.review.state is ReviewState.PENDING_REVIEW
    assert now.review.approvals == ()
    with pytest.raises(NotApproved, match="not approved"):
        sla.approved_credits(acting(reviewed, "Fay Finance"), "INC-2025-1108-001")
    with reviewed.db.reading() as conn:
        trail = audit.entries(conn, entity_id="INC-2025-1108-001", action_prefix="sla.")
    assert [e.action for e in trail] == [
        "sla.assess",
        "sla.submitted",
        "sla.approved",
        "sla.approved",
        "sla.inputs_changed",
    ]
    assert trail[-1].changes["voided"] == [
        {"role": "legal", "by": "Lee Legal"},
        {"role": "finance", "by": "Fay Finance"},
    ]
    assert trail[2].changes["by"] == "Lee Legal"


def test_it_voids_approval_when_reassessed_with_another_registry(reviewed: Context) -> None:
    assess(reviewed)
    sla.submit(reviewed, "INC-2025-1108-001")
    sla.approve(acting(reviewed, "Lee Legal"), "INC-2025-1108-001", role=ReviewRole.LEGAL)
    same = assess(reviewed)
    assert same.review.approvals  # same inputs: the approval stands
    changed = sla.assess_incident(
        reviewed,
        "INC-2025-1108-001",
        policy=POLICY,
        customers=CUSTOMERS[:2],
        policy_source="policy.yaml",
        customers_source="customers-v2.csv",
    )
    assert changed.review.state is ReviewState.PENDING_REVIEW
    assert changed.review.approvals == ()


def test_it_refuses_an_incident_without_impact_window(reviewed: Context) -> None:
    open_incident = incidents.declare(reviewed, title="Ongoing", severity="SEV-2")
    with pytest.raises(InvalidInput, match="no impact window"):
        assess(reviewed, open_incident.id)


def approve_both(ctx: Context, incident_id: str) -> None:
    sla.approve(acting(ctx, "Lee Legal"), incident_id, role=ReviewRole.LEGAL)
    sla.approve(acting(ctx, "Fay Finance"), incident_id, role=ReviewRole.FINANCE)


def test_it_does_not_pay_twice_for_one_month(reviewed: Context) -> None:
    assess(reviewed)
    sla.submit(reviewed, "INC-2025-1108-001")
    approve_both(reviewed, "INC-2025-1108-001")
    # another November incident pushes C1's month below 99.0 %: the first incident's
    # approved 10 % rested on a month that no longer is; its approval is void
    incidents.import_incidents(
        reviewed,
        read_incident_text(
            incident_text("INC-2025-1120-001", "2025-11-20T10:00:00Z", "2025-11-20T12:00:00Z")
        ),
    )
    first = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert first.review.state is ReviewState.PENDING_REVIEW and not first.review.approvals
    assert first.result.row("C1").credit_high == Decimal("3086.41")  # 25 % of the fee
    # approved again, the month's 25 % is paid once: the later incident adds nothing
    approve_both(reviewed, "INC-2025-1108-001")
    later = {r.customer_id: r for r in assess(reviewed, "INC-2025-1120-001").result.rows}
    assert later["C1"].down_minutes_declared == 467
    assert later["C1"].credit_percent_high == Decimal("25")
    assert later["C1"].already_credited == Decimal("3086.41")
    assert later["C1"].credit_high == Decimal("0.00")


def test_an_approval_never_stands_behind_figures_that_moved_unnoticed(reviewed: Context) -> None:
    """Even when a change reaches no revalidation, reading shows no approval for the new
    figures (so no report offers an amount nobody approved)."""
    assess(reviewed)
    sla.submit(reviewed, "INC-2025-1108-001")
    approve_both(reviewed, "INC-2025-1108-001")
    with reviewed.db.transaction() as conn:  # a change behind warroom's back
        conn.execute(text("UPDATE sla_assessments SET fingerprint = 'stale'"))
    seen = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert seen.review.state is ReviewState.PENDING_REVIEW and not seen.review.approvals


def test_an_approval_never_stands_behind_an_incident_changed_unnoticed(reviewed: Context) -> None:
    """The figures are read as stored, never recomputed when read; an incident of the
    month changed behind warroom's back shows them as pending review, and nothing can be
    billed until they are computed again."""
    assess(reviewed)
    sla.submit(reviewed, "INC-2025-1108-001")
    approve_both(reviewed, "INC-2025-1108-001")
    with reviewed.db.transaction() as conn:
        conn.execute(
            text("UPDATE timeline_entries SET at = :at WHERE kind = 'resolved'"),
            {
                "at": "2025-11-08 18:00:00.000000"
                if conn.dialect.name == "sqlite"
                else "2025-11-08 18:00:00+00"
            },
        )
    seen = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert seen.review.state is ReviewState.PENDING_REVIEW and not seen.review.approvals
    with pytest.raises(NotApproved):
        sla.approved_credits(acting(reviewed, "Fay Finance"), "INC-2025-1108-001")


def test_a_maintenance_record_excuses_its_minutes_and_voids_the_approval(
    reviewed: Context, clock
) -> None:
    """The reference incident ran 14:02-19:49 (347 minutes). A window recorded for
    14:00-19:40, announced days before, leaves 9 down minutes: 99.979 % uptime, above
    every target, so no credit; the approval given to the 347-minute figures is void."""
    from warroom.services import maintenance

    assess(reviewed)
    sla.submit(reviewed, "INC-2025-1108-001")
    sla.approve(acting(reviewed, "Lee Legal"), "INC-2025-1108-001", role=ReviewRole.LEGAL)
    sla.approve(acting(reviewed, "Fay Finance"), "INC-2025-1108-001", role=ReviewRole.FINANCE)
    before = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert {r.customer_id: r.credit_high for r in before.result.rows}["C1"] == Decimal("1234.57")
    clock.advance(minutes=5)
    record = maintenance.schedule(
        acting(reviewed, "Riley Responder"),
        title="Network upgrade",
        starts_at=datetime(2025, 11, 8, 14, 0, tzinfo=UTC),
        ends_at=datetime(2025, 11, 8, 19, 40, tzinfo=UTC),
        announced_at=datetime(2025, 11, 3, 9, 0, tzinfo=UTC),
    )
    after = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert after.review.state is ReviewState.PENDING_REVIEW and after.review.approvals == ()
    assert after.fingerprint != before.fingerprint
    rows = {r.customer_id: r for r in after.result.rows}
    assert rows["C1"].down_minutes_declared == 9
    assert rows["C1"].credit_high == rows["C2"].credit_high == Decimal("0.00")
    assert after.result.liability.high == Decimal("0.00")
    (finding,) = after.result.exclusions
    assert finding.counts and finding.incident_began_inside
    # cancelled, the window excuses nothing again: the first figures come back
    maintenance.cancel(acting(reviewed, "Riley Responder"), record.id)
    again = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert again.fingerprint == before.fingerprint
    assert {r.customer_id: r.credit_high for r in again.result.rows}["C1"] == Decimal("1234.57")
    assert again.review.approvals == ()  # a voided approval is given again, not restored


def test_maintenance_of_another_region_excuses_nothing(reviewed: Context) -> None:
    from warroom.domain.scope import Scope
    from warroom.services import maintenance

    before = assess(reviewed)
    maintenance.schedule(
        acting(reviewed, "Riley Responder"),
        title="eu-west only",
        starts_at=datetime(2025, 11, 8, 14, 0, tzinfo=UTC),
        ends_at=datetime(2025, 11, 8, 19, 40, tzinfo=UTC),
        scope=Scope(regions=("eu-west",)),
        announced_at=datetime(2025, 11, 3, 9, 0, tzinfo=UTC),
    )
    after = sla.get_assessment(reviewed, "INC-2025-1108-001")
    assert after.fingerprint == before.fingerprint and after.result.exclusions == ()
