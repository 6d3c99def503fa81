"""SLA use cases: assess an incident's credits, review them (legal + finance), export them.

Every figure comes from `domain.sla.assess`; this module only gathers its inputs from the
store (the incident, the month's other incidents, stored impact analyses, approved
credits) and keeps the review honest: when any input changes, approvals are void.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from warroom.domain import assessment as gate
from warroom.domain.assessment import Review, ReviewEvent, ReviewRole, ReviewState
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput, NotFound, PermissionDenied, Problem
from warroom.domain.incident import Incident
from warroom.domain.sla import (
    IncidentImpact,
    Month,
    SlaAssessment,
    SlaPolicy,
    assess,
    inputs_digest,
)
from warroom.domain.window import TimeWindow
from warroom.formats.documents import Document
from warroom.formats.sla_policy import parse_policy_document, policy_to_dict
from warroom.schemas.sla import AssessmentPublic
from warroom.services.context import Context
from warroom.services.users import roles_of
from warroom.store import assessments as store
from warroom.store import audit
from warroom.store import impact as impact_store
from warroom.store import incidents as incident_repo
from warroom.store.assessments import StoredAssessment


@dataclass(frozen=True)
class Assessment:
    """An incident's assessment as it stands now: the figures and the review."""

    incident_id: str
    result: SlaAssessment
    review: Review
    policy: SlaPolicy
    customers: tuple[Customer, ...]
    policy_source: str
    customers_source: str
    updated_at: datetime

    def public(self) -> AssessmentPublic:
        return AssessmentPublic.of(self.incident_id, self.result, self.review,
                                   policy_source=self.policy_source,
                                   customers_source=self.customers_source)


# -- use cases -------------------------------------------------------------------------------

def assess_incident(ctx: Context, incident_id: str, *, policy: SlaPolicy,
                    customers: Sequence[Customer], policy_source: str,
                    customers_source: str) -> Assessment:
    """Compute (or recompute) the incident's credits from a policy and a registry.

    A new assessment starts as a draft. Re-assessing with other inputs voids any approval.
    """
    now = ctx.now()
    with ctx.db.transaction() as conn:
        incident = incident_repo.get(conn, incident_id)
        result, digest = _compute(conn, incident, policy, tuple(customers))
        existing = store.get(conn, incident_id)
        review = existing.review if existing else Review()
        changes: dict[str, Any] = {"inputs": {"policy": policy_source,
                                              "customers": customers_source}}
        action = "sla.assess"
        if existing and existing.inputs_digest != digest:
            review, event = gate.inputs_changed(existing.review, by=ctx.actor)
            changes.update(_event_changes(event))
            action = "sla.reassess"
        elif existing:
            action = "sla.reassess_unchanged"
        stored = StoredAssessment(
            incident_id=incident_id, month=str(result.month), policy=policy_to_dict(policy),
            policy_source=policy_source, customers=[_customer_json(c) for c in customers],
            customers_source=customers_source, inputs_digest=digest, review=review,
            result=AssessmentPublic.of(incident_id, result, review, policy_source=policy_source,
                                       customers_source=customers_source).to_data(),
            created_at=existing.created_at if existing else now, updated_at=now)
        store.save(conn, stored, now=now)
        changes["liability"] = {"low": str(result.liability.low),
                                "high": str(result.liability.high)}
        audit.record(conn, at=now, actor=ctx.actor, action=action, entity_type="assessment",
                     entity_id=incident_id, changes=changes)
        _revalidate_month(conn, ctx, str(result.month), skip=incident_id)
    return Assessment(incident_id, result, review, policy, tuple(customers), policy_source,
                      customers_source, now)


def get_assessment(ctx: Context, incident_id: str) -> Assessment:
    with ctx.db.reading() as conn:
        return _load(conn, incident_id)


def find_assessment(ctx: Context, incident_id: str) -> Assessment | None:
    with ctx.db.reading() as conn:
        incident_repo.get(conn, incident_id)
        return assessment_in(conn, incident_id)


def assessment_in(conn: Connection, incident_id: str) -> Assessment | None:
    """The incident's assessment read inside an open transaction; None when not assessed."""
    if store.get(conn, incident_id) is None:
        return None
    return _load(conn, incident_id)


def submit(ctx: Context, incident_id: str) -> Assessment:
    def step(review: Review, conn: Connection) -> tuple[Review, ReviewEvent]:
        return gate.submit(review, by=ctx.actor)

    return _step(ctx, incident_id, step)


def approve(ctx: Context, incident_id: str, *, role: ReviewRole, by: str,
            comment: str | None = None) -> Assessment:
    def step(review: Review, conn: Connection) -> tuple[Review, ReviewEvent]:
        return gate.approve(review, role=role, by=by, roles_held=roles_of(conn, by.strip()))

    return _step(ctx, incident_id, step, comment=comment)


def request_changes(ctx: Context, incident_id: str, *, role: ReviewRole, by: str,
                    comment: str) -> Assessment:
    def step(review: Review, conn: Connection) -> tuple[Review, ReviewEvent]:
        return gate.request_changes(review, role=role, by=by, comment=comment,
                                    roles_held=roles_of(conn, by.strip()))

    return _step(ctx, incident_id, step)


@dataclass(frozen=True)
class CreditLine:
    incident_id: str
    month: str
    customer_id: str
    name: str
    tier: str
    currency: str
    credit_percent: Decimal
    credit_amount: Decimal
    claim_deadline: str
    approved_by_legal: str
    approved_by_finance: str


def approved_credits(ctx: Context, incident_id: str) -> list[CreditLine]:
    """The credits to bill, one line per customer owed one; refused until approved."""
    current = get_assessment(ctx, incident_id)
    if not current.review.is_approved:
        raise gate_refusal(current.review)
    legal = current.review.approval(ReviewRole.LEGAL)
    finance = current.review.approval(ReviewRole.FINANCE)
    deadline = current.result.claim_deadline
    return [
        CreditLine(incident_id=incident_id, month=str(current.result.month),
                   customer_id=row.customer_id, name=row.name, tier=row.tier,
                   currency=row.currency, credit_percent=row.credit_percent,
                   credit_amount=row.credit,
                   claim_deadline=deadline.isoformat() if deadline else "",
                   approved_by_legal=legal.by if legal else "",
                   approved_by_finance=finance.by if finance else "")
        for row in current.result.rows
        if row.has_sla and row.credit > 0
    ]


def gate_refusal(review: Review) -> PermissionDenied:
    missing = [r.value for r in ReviewRole if review.approval(r) is None]
    return PermissionDenied(
        f"the assessment is {review.state.value}, not approved: credits leave warroom only "
        f"after legal and finance approve (missing: {', '.join(missing) or 'none'})")


def revalidate_incident(conn: Connection, ctx: Context, incident_id: str,
                        months: Sequence[str] = ()) -> None:
    """Called after an incident or its impact changed: void approvals whose inputs moved."""
    wanted = set(months)
    own = store.get(conn, incident_id)
    if own is not None:
        wanted.add(own.month)
    for month in sorted(wanted):
        _revalidate_month(conn, ctx, month, skip=None)


def revalidate_month(conn: Connection, ctx: Context, month: str) -> None:
    """Void approvals of the month's assessments whose inputs changed (e.g. a new incident)."""
    _revalidate_month(conn, ctx, month, skip=None)


def months_of(incident: Incident) -> list[str]:
    """The months an incident's impact window touches (an incident may cross a month end)."""
    window = incident.impact_window()
    return window_months(window) if window else []


def window_months(window: TimeWindow) -> list[str]:
    last = window.end - timedelta(microseconds=1) if window.end > window.start else window.end
    return sorted({str(Month.of(window.start)), str(Month.of(last))})


# -- plumbing --------------------------------------------------------------------------------

Step = Callable[[Review, Connection], tuple[Review, ReviewEvent]]


def _step(ctx: Context, incident_id: str, step: Step, comment: str | None = None) -> Assessment:
    now = ctx.now()
    with ctx.db.transaction() as conn:
        existing = store.get(conn, incident_id)
        if existing is None:
            incident_repo.get(conn, incident_id)
            raise NotFound(f"incident {incident_id} has no SLA assessment yet: run "
                           f"`warroom sla assess {incident_id} --customers ... --policy ...`")
        review, event = step(existing.review, conn)
        current = _load(conn, incident_id)
        stored = _replace_review(existing, review, current)
        store.save(conn, stored, now=now)
        changes = _event_changes(event)
        if comment:
            changes["comment"] = comment
        audit.record(conn, at=now, actor=ctx.actor, action=f"sla.{event.action}",
                     entity_type="assessment", entity_id=incident_id, changes=changes)
        _revalidate_month(conn, ctx, existing.month, skip=incident_id)
        return _load(conn, incident_id)


def _replace_review(existing: StoredAssessment, review: Review,
                    current: Assessment) -> StoredAssessment:
    return StoredAssessment(
        incident_id=existing.incident_id, month=existing.month, policy=existing.policy,
        policy_source=existing.policy_source, customers=existing.customers,
        customers_source=existing.customers_source, inputs_digest=existing.inputs_digest,
        review=review,
        result=AssessmentPublic.of(existing.incident_id, current.result, review,
                                   policy_source=existing.policy_source,
                                   customers_source=existing.customers_source).to_data(),
        created_at=existing.created_at, updated_at=existing.updated_at)


def _event_changes(event: ReviewEvent) -> dict[str, Any]:
    changes: dict[str, Any] = {"state": {"before": event.before.value,
                                         "after": event.after.value}}
    if event.role:
        changes["role"] = event.role.value
    if event.by:
        changes["by"] = event.by
    if event.comment:
        changes["comment"] = event.comment
    if event.voided:
        changes["voided"] = [{"role": a.role.value, "by": a.by} for a in event.voided]
    return changes


def _load(conn: Connection, incident_id: str) -> Assessment:
    existing = store.get(conn, incident_id)
    if existing is None:
        incident_repo.get(conn, incident_id)
        raise NotFound(f"incident {incident_id} has no SLA assessment yet: run "
                       f"`warroom sla assess {incident_id} --customers ... --policy ...`")
    policy = _policy_from_json(existing.policy)
    customers = tuple(_customer_from_json(c) for c in existing.customers)
    result, digest = _compute(conn, incident_repo.get(conn, incident_id), policy, customers)
    review = existing.review
    if digest != existing.inputs_digest:
        # The figures moved since they were reviewed (a change that reached no
        # revalidation): no approval given to other figures may stand behind these.
        review, _ = gate.inputs_changed(review)
    return Assessment(incident_id, result, review, policy, customers,
                      existing.policy_source, existing.customers_source, existing.updated_at)


def _revalidate_month(conn: Connection, ctx: Context, month: str, *, skip: str | None) -> None:
    for existing in store.in_month(conn, month):
        if existing.incident_id == skip:
            continue
        policy = _policy_from_json(existing.policy)
        customers = tuple(_customer_from_json(c) for c in existing.customers)
        incident = incident_repo.get(conn, existing.incident_id)
        try:
            result, digest = _compute(conn, incident, policy, customers)
        except InvalidInput:
            continue  # the incident lost its impact window; its assessment is shown as is
        if digest == existing.inputs_digest:
            continue
        review, event = gate.inputs_changed(existing.review)
        now = ctx.now()
        store.save(conn, StoredAssessment(
            incident_id=existing.incident_id, month=str(result.month), policy=existing.policy,
            policy_source=existing.policy_source, customers=existing.customers,
            customers_source=existing.customers_source, inputs_digest=digest, review=review,
            result=AssessmentPublic.of(existing.incident_id, result, review,
                                       policy_source=existing.policy_source,
                                       customers_source=existing.customers_source).to_data(),
            created_at=existing.created_at, updated_at=now), now=now)
        audit.record(conn, at=now, actor=ctx.actor, action="sla.inputs_changed",
                     entity_type="assessment", entity_id=existing.incident_id,
                     changes=_event_changes(event))


def _impact_of(conn: Connection, incident: Incident) -> IncidentImpact | None:
    window = incident.impact_window()
    if window is None:
        return None
    stored = impact_store.latest(conn, incident.id)
    measured = stored.result.measured_down_minutes() if stored else None
    return IncidentImpact(window=window, scope=incident.scope, measured=measured,
                          incident_id=incident.id)


def _compute(conn: Connection, incident: Incident, policy: SlaPolicy,
             customers: tuple[Customer, ...]) -> tuple[SlaAssessment, str]:
    own = _impact_of(conn, incident)
    if own is None:
        raise InvalidInput([Problem(
            "timeline", "no_impact_window",
            f"incident {incident.id} has no impact window yet: it needs a detected (or "
            "impact_started) and a resolved timeline entry before credits can be assessed")])
    month = Month.of(own.window.start)
    others: list[IncidentImpact] = []
    already: dict[str, Decimal] = {}
    since = month.first_day - timedelta(days=31)  # an incident may start in the month before
    for other_id in incident_repo.list_ids(conn, since=since, until=month.last_day):
        if other_id == incident.id:
            continue
        other = _impact_of(conn, incident_repo.get(conn, other_id))
        if other is None or other.window.overlap(month.window) is None:
            continue
        others.append(other)
        # credits approved for an earlier incident of the month are not paid twice
        if other.window.start < own.window.start:
            for customer_id, amount in _approved_credits(conn, other_id, str(month)).items():
                already[customer_id] = already.get(customer_id, Decimal(0)) + amount
    result = assess(policy, customers, own, others=others, month=month, already_credited=already)
    digest = inputs_digest(policy, customers, own, others=others, month=month,
                           already_credited=already)
    return result, digest


def _approved_credits(conn: Connection, incident_id: str, month: str) -> dict[str, Decimal]:
    existing = store.get(conn, incident_id)
    if existing is None or existing.month != month or \
            existing.review.state is not ReviewState.APPROVED:
        return {}
    return {row["customer_id"]: Decimal(row["credit_low"])
            for row in existing.result.get("customers", []) if row.get("has_sla")}


def _policy_from_json(data: dict[str, Any]) -> SlaPolicy:
    return parse_policy_document(Document(data=data, source="stored policy"))


def _customer_json(customer: Customer) -> dict[str, Any]:
    return {"customer_id": customer.customer_id, "name": customer.name, "tier": customer.tier,
            "monthly_fee": str(customer.monthly_fee), "currency": customer.currency,
            "regions": list(customer.regions)}


def _customer_from_json(data: dict[str, Any]) -> Customer:
    return Customer(customer_id=data["customer_id"], name=data["name"], tier=data["tier"],
                    monthly_fee=Decimal(data["monthly_fee"]), currency=data["currency"],
                    regions=tuple(data["regions"]))
