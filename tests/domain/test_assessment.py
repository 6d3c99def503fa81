"""The legal + finance approval gate, and what each audience sees of an assessment."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from warroom.domain.assessment import (
    Approval,
    Review,
    ReviewRole,
    ReviewState,
    approve,
    inputs_changed,
    parse_role,
    request_changes,
    submit,
    view_for,
)
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from warroom.domain.minutes import MinuteSet, epoch_minute
from warroom.domain.scope import Scope
from warroom.domain.sla import Bracket, IncidentImpact, SlaPolicy, Tier, assess
from warroom.domain.window import TimeWindow
from warroom.schemas.sla import AssessmentPublic

LEGAL, FINANCE = ReviewRole.LEGAL, ReviewRole.FINANCE
# The people of every access test: one per role, one with both, one with neither.
LINDA = ("Linda Legal", ["legal"])
FRANK = ("Frank Finance", ["finance"])
BOTH = ("Bea Both", ["legal", "finance"])
OSCAR = ("Oscar Outsider", ["commander"])


def pending() -> Review:
    review, _ = submit(Review(), by="Jane Doe")
    return review


def approved() -> Review:
    review, _ = approve(pending(), role=LEGAL, by=LINDA[0], roles_held=LINDA[1])
    review, _ = approve(review, role=FINANCE, by=FRANK[0], roles_held=FRANK[1])
    return review


# -- the gate ---------------------------------------------------------------------------------


def test_it_starts_as_a_draft() -> None:
    assert Review().state is ReviewState.DRAFT


def test_it_submits_a_draft_for_review() -> None:
    review, event = submit(Review(), by="Jane Doe")
    assert review.state is ReviewState.PENDING_REVIEW
    assert (event.action, event.by, event.before, event.after) == (
        "submitted",
        "Jane Doe",
        ReviewState.DRAFT,
        ReviewState.PENDING_REVIEW,
    )


def test_it_refuses_to_submit_twice() -> None:
    with pytest.raises(IllegalTransition, match="pending_review"):
        submit(pending(), by="Jane Doe")


def test_it_approves_with_legal_and_finance_from_two_people() -> None:
    review, first = approve(pending(), role=LEGAL, by=LINDA[0], roles_held=LINDA[1])
    assert review.state is ReviewState.PENDING_REVIEW  # one approval is not enough
    review, second = approve(review, role=FINANCE, by=FRANK[0], roles_held=FRANK[1])
    assert review.state is ReviewState.APPROVED
    assert review.approvals == (Approval(LEGAL, LINDA[0]), Approval(FINANCE, FRANK[0]))
    assert (first.action, first.role, first.after) == (
        "approved",
        LEGAL,
        ReviewState.PENDING_REVIEW,
    )
    assert (second.before, second.after) == (ReviewState.PENDING_REVIEW, ReviewState.APPROVED)


def test_it_approves_in_either_order() -> None:
    review, _ = approve(pending(), role=FINANCE, by=BOTH[0], roles_held=BOTH[1])
    review, _ = approve(review, role=LEGAL, by=LINDA[0], roles_held=LINDA[1])
    assert review.is_approved


def test_it_refuses_one_person_approving_in_both_roles() -> None:
    review, _ = approve(pending(), role=LEGAL, by=BOTH[0], roles_held=BOTH[1])
    with pytest.raises(Conflict, match="different person"):
        approve(review, role=FINANCE, by=BOTH[0], roles_held=BOTH[1])


def test_it_refuses_the_same_role_approving_twice() -> None:
    review, _ = approve(pending(), role=LEGAL, by=LINDA[0], roles_held=LINDA[1])
    with pytest.raises(Conflict, match="legal has already approved"):
        approve(review, role=LEGAL, by=BOTH[0], roles_held=BOTH[1])
    with pytest.raises(Conflict):
        approve(review, role=LEGAL, by=LINDA[0], roles_held=LINDA[1])


def test_it_refuses_an_approval_by_someone_without_the_role() -> None:
    with pytest.raises(PermissionDenied, match="Oscar Outsider does not hold the legal role"):
        approve(pending(), role=LEGAL, by=OSCAR[0], roles_held=OSCAR[1])
    with pytest.raises(PermissionDenied):
        approve(pending(), role=FINANCE, by=LINDA[0], roles_held=LINDA[1])


def test_it_accepts_roles_as_enum_values_too() -> None:
    review, _ = approve(pending(), role=LEGAL, by="Lee", roles_held=[ReviewRole.LEGAL])
    assert review.approval(LEGAL) == Approval(LEGAL, "Lee")


@pytest.mark.parametrize(
    "state", [ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED, ReviewState.APPROVED]
)
def test_it_refuses_approval_outside_pending_review(state: ReviewState) -> None:
    with pytest.raises(IllegalTransition, match="pending review"):
        approve(Review(state), role=LEGAL, by=LINDA[0], roles_held=LINDA[1])


def test_it_refuses_an_anonymous_step() -> None:
    with pytest.raises(InvalidInput, match="who is acting"):
        approve(pending(), role=LEGAL, by="  ", roles_held=["legal"])


def test_it_sends_an_assessment_back_and_voids_its_approvals() -> None:
    review, _ = approve(pending(), role=LEGAL, by=LINDA[0], roles_held=LINDA[1])
    review, event = request_changes(
        review,
        role=FINANCE,
        by=FRANK[0],
        roles_held=FRANK[1],
        comment="Use the December invoice fees",
    )
    assert review == Review(ReviewState.CHANGES_REQUESTED)
    assert event.voided == (Approval(LEGAL, LINDA[0]),)
    assert event.comment == "Use the December invoice fees"
    resubmitted, _ = submit(review, by="Jane Doe")
    assert resubmitted == Review(ReviewState.PENDING_REVIEW)


def test_it_needs_a_comment_to_send_back() -> None:
    with pytest.raises(InvalidInput, match="say what should change"):
        request_changes(pending(), role=LEGAL, by=LINDA[0], roles_held=LINDA[1], comment=" ")


def test_it_refuses_a_send_back_by_someone_without_the_role() -> None:
    with pytest.raises(PermissionDenied):
        request_changes(pending(), role=LEGAL, by=OSCAR[0], roles_held=OSCAR[1], comment="no")


def test_it_refuses_to_send_back_an_approved_assessment() -> None:
    with pytest.raises(IllegalTransition):
        request_changes(
            approved(), role=LEGAL, by=LINDA[0], roles_held=LINDA[1], comment="too late"
        )


def test_it_returns_an_approved_assessment_to_review_when_inputs_change() -> None:
    review, event = inputs_changed(approved(), by="Jane Doe")
    assert review == Review(ReviewState.PENDING_REVIEW)
    assert (event.before, event.after) == (ReviewState.APPROVED, ReviewState.PENDING_REVIEW)
    assert {a.role for a in event.voided} == {LEGAL, FINANCE}


def test_it_voids_a_partial_approval_when_inputs_change() -> None:
    review, _ = approve(pending(), role=LEGAL, by=LINDA[0], roles_held=LINDA[1])
    review, event = inputs_changed(review)
    assert review == Review(ReviewState.PENDING_REVIEW)
    assert event.voided == (Approval(LEGAL, LINDA[0]),)


@pytest.mark.parametrize("state", [ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED])
def test_it_keeps_an_unsubmitted_state_when_inputs_change(state: ReviewState) -> None:
    review, event = inputs_changed(Review(state))
    assert review.state is state
    assert event.action == "inputs_changed"


def test_it_describes_each_step_for_the_audit_log() -> None:
    _, event = inputs_changed(approved(), by="Jane Doe")
    assert event.describe() == (
        "inputs_changed by Jane Doe: approved -> pending_review; "
        "voided approvals: legal (Linda Legal), finance (Frank Finance)"
    )


def test_it_parses_review_roles() -> None:
    assert parse_role(" Legal ") is LEGAL
    with pytest.raises(InvalidInput, match="expected one of legal, finance"):
        parse_role("ceo")


# -- views ------------------------------------------------------------------------------------

D = Decimal
REFERENCE = TimeWindow(
    datetime(2025, 11, 8, 14, 2, tzinfo=UTC), datetime(2025, 11, 8, 19, 49, tzinfo=UTC)
)
POLICY = SlaPolicy(
    currency="USD",
    deadline_days=30,
    tiers=(Tier("enterprise", D("99.95"), (Bracket(D("99.95"), D(10)), Bracket(D("99"), D(25)))),),
)
CUSTOMERS = [
    Customer("ACME", "Acme Corp", "enterprise", D("10000"), "USD", ("eu-west",)),
    Customer("GLOBEX", "Globex", "enterprise", D("20000"), "USD", ("eu-west",)),
    Customer("INITECH", "Initech", "enterprise", D("5000"), "USD", ("us-east",)),
]
START = epoch_minute(REFERENCE.start)
RESULT = assess(
    POLICY,
    CUSTOMERS,
    IncidentImpact(
        REFERENCE,
        Scope(regions=("eu-west",)),
        measured={"ACME": MinuteSet(((START, START + 300),)), "GLOBEX": MinuteSet()},
    ),
)


def test_it_shows_the_public_nothing() -> None:
    assert view_for(RESULT, Audience.PUBLIC, review=approved()) == {}


def test_it_shows_staff_everything() -> None:
    # staff read the whole assessment: the shape `sla show --json` and the API give them
    data = AssessmentPublic.of(
        "INC-2025-1108-001",
        RESULT,
        approved(),
        policy_source="policy.yaml",
        customers_source="customers.csv",
        fingerprint="f",
    ).to_data()
    assert data["liability"] == {"low": "1000.00", "high": "3000.00"}
    assert [row["customer_id"] for row in data["customers"]] == ["ACME", "GLOBEX"]
    assert data["review"] == {
        "state": "approved",
        "approvals": [
            {"role": "legal", "by": "Linda Legal"},
            {"role": "finance", "by": "Frank Finance"},
        ],
    }
    assert data["customers"][0]["uptime_measured"] == "99.306"
    assert data["by_tier"] == [
        {"tier": "enterprise", "customers": 2, "low": "1000.00", "high": "3000.00"}
    ]


@pytest.mark.parametrize("audience", [Audience.INTERNAL, Audience.CONFIDENTIAL])
def test_it_has_no_view_for_staff(audience: Audience) -> None:
    with pytest.raises(ValueError, match="whole assessment"):
        view_for(RESULT, audience, review=approved())


def test_it_shows_a_customer_its_impact_but_no_credit_before_approval() -> None:
    view = view_for(RESULT, Audience.CUSTOMER, review=pending(), customer_id="ACME")
    assert view == {
        "audience": "customer",
        "customer_id": "ACME",
        "month": "2025-11",
        "affected": True,
        "name": "Acme Corp",
        "tier": "enterprise",
        "incident_minutes": 300,
        "month_down_minutes": 300,
        "uptime": D("99.306"),
    }


def test_it_shows_a_customer_its_own_credit_once_approved() -> None:
    view = view_for(RESULT, Audience.CUSTOMER, review=approved(), customer_id="ACME")
    assert view["credit"] == {
        "percent": D(10),
        "amount": D("1000.00"),
        "currency": "USD",
        "claim_deadline": RESULT.claim_deadline,
    }


def test_it_offers_the_measured_figure_when_logs_were_analysed() -> None:
    view = view_for(RESULT, Audience.CUSTOMER, review=approved(), customer_id="GLOBEX")
    assert view["month_down_minutes"] == 0
    # measured: no down minute, so no credit (the declared figure would be 2000.00), and a
    # customer owed nothing is not invited to claim $0.00
    assert "credit" not in view


def test_it_never_shows_a_customer_others_totals_or_reviewers() -> None:
    for review in (pending(), approved()):
        text = repr(view_for(RESULT, Audience.CUSTOMER, review=review, customer_id="ACME"))
        for secret in (
            "GLOBEX",
            "Globex",
            "INITECH",
            "Linda",
            "Frank",
            "3000",
            "liability",
            "approved",
            "pending",
            "tiers",
        ):
            assert secret not in text


def test_it_tells_an_out_of_scope_customer_it_was_not_affected() -> None:
    view = view_for(RESULT, Audience.CUSTOMER, review=approved(), customer_id="INITECH")
    assert view == {
        "audience": "customer",
        "customer_id": "INITECH",
        "month": "2025-11",
        "affected": False,
    }


def test_it_needs_a_customer_id_for_a_customer_view() -> None:
    with pytest.raises(ValueError, match="customer_id"):
        view_for(RESULT, Audience.CUSTOMER, review=approved())
