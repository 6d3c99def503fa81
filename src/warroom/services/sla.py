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
from warroom.domain.assessment import (
    NotApproved,
    Review,
    ReviewEvent,
    ReviewRole,
    ReviewState,
    view_for,
)
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from warroom.domain.incident import Incident
from warroom.domain.permissions import Action, may_see_credits_before_approval
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
from warroom.services.access import Principal, authorize, principal, record
from warroom.services.context import Context
from warroom.store import assessments as store
from warroom.store import impact as impact_store
from warroom.store import incidents as incident_repo
from warroom.store.assessments import StoredAssessment
from warroom.store.database import lock


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
    fingerprint: str  # of every input: what an approval covers

    def public(self) -> AssessmentPublic:
        return AssessmentPublic.of(self.incident_id, self.result, self.review,
                                   policy_source=self.policy_source,
                                   customers_source=self.customers_source,
                                   fingerprint=self.fingerprint)


# -- use cases -------------------------------------------------------------------------------

def assess_incident(ctx: Context, incident_id: str, *, policy: SlaPolicy,
                    customers: Sequence[Customer], policy_source: str,
                    customers_source: str) -> Assessment:
    """Compute (or recompute) the incident's credits from a policy and a registry.

    A new assessment starts as a draft. Re-assessing with other inputs voids any approval.
    """
    registry = tuple(customers)

    def work(conn: Connection) -> Assessment:
        now = ctx.now()
        incident = _locked(conn, ctx, incident_id)
        who = authorize(conn, ctx, Action.SLA_ASSESS, incident=incident)
        result, digest = _compute(conn, incident, policy, registry)
        lock_months(conn, [str(result.month)])
        existing = store.get(conn, incident_id)
        review = existing.review if existing else Review()
        changes: dict[str, Any] = {"inputs": {"policy": policy_source,
                                              "customers": customers_source},
                                   "fingerprint": digest}
        action = "sla.assess"
        if existing and existing.inputs_digest != digest:
            review, event = gate.inputs_changed(existing.review, by=who.name)
            changes.update(_event_changes(event))
            action = "sla.reassess"
        elif existing:
            action = "sla.reassess_unchanged"
        stored = StoredAssessment(
            incident_id=incident_id, month=str(result.month), policy=policy_to_dict(policy),
            policy_source=policy_source, customers=[_customer_json(c) for c in registry],
            customers_source=customers_source, inputs_digest=digest, review=review,
            result=AssessmentPublic.of(incident_id, result, review, policy_source=policy_source,
                                       customers_source=customers_source,
                                       fingerprint=digest).to_data(),
            created_at=existing.created_at if existing else now, updated_at=now)
        store.save(conn, stored, now=now)
        changes["liability"] = {"low": str(result.liability.low),
                                "high": str(result.liability.high)}
        record(conn, ctx, who, action=action, entity_type="assessment", entity_id=incident_id,
               changes=changes)
        _revalidate_month(conn, ctx, str(result.month), skip=incident_id)
        return Assessment(incident_id, result, review, policy, registry, policy_source,
                          customers_source, now, digest)

    return ctx.db.write(work)


def get_assessment(ctx: Context, incident_id: str) -> Assessment:
    """The assessment as it stands; its figures only for people who may see them (viewers
    once legal and finance approved)."""
    with ctx.db.reading() as conn:
        found = _readable(conn, ctx, incident_id)
        if found is None:
            raise _not_assessed(incident_id)
        return found


def find_assessment(ctx: Context, incident_id: str) -> Assessment | None:
    with ctx.db.reading() as conn:
        return _readable(conn, ctx, incident_id)


def _readable(conn: Connection, ctx: Context, incident_id: str) -> Assessment | None:
    incident = incident_repo.get(conn, incident_id)
    who = authorize(conn, ctx, Action.INCIDENT_READ, incident=incident)
    found = assessment_in(conn, incident_id)
    if found is not None and not found.review.is_approved and \
            not may_see_credits_before_approval(who.roles):
        raise PermissionDenied(
            f"{who.name} sees credit figures once legal and finance approve them; the "
            f"assessment of {incident_id} is {found.review.state.value}")
    return found


def audience_view(ctx: Context, incident_id: str, audience: Audience, *,
                  customer_id: str | None = None) -> dict[str, Any]:
    """What `audience` may see of the assessment (`domain.assessment.view_for`): the
    customer view holds one customer's figures and, once approved, its own credit."""
    if audience is Audience.CUSTOMER and not customer_id:
        raise InvalidInput([Problem("--customer", "missing",
                                    "--audience customer needs --customer ID")])
    with ctx.db.reading() as conn:
        if audience in (Audience.CUSTOMER, Audience.PUBLIC):
            authorize(conn, ctx, Action.INCIDENT_READ,
                      incident=incident_repo.get(conn, incident_id))
            found = assessment_in(conn, incident_id)
        else:
            found = _readable(conn, ctx, incident_id)
        if found is None:
            raise _not_assessed(incident_id)
    return view_for(found.result, audience, review=found.review, customer_id=customer_id)


def assessment_in(conn: Connection, incident_id: str) -> Assessment | None:
    """The incident's assessment read inside an open transaction; None when not assessed."""
    if store.get(conn, incident_id) is None:
        return None
    return _load(conn, incident_id)


def submit(ctx: Context, incident_id: str) -> Assessment:
    def step(review: Review, who: Principal) -> tuple[Review, ReviewEvent]:
        return gate.submit(review, by=who.name)

    return _step(ctx, incident_id, Action.SLA_ASSESS, step)


def approve(ctx: Context, incident_id: str, *, role: ReviewRole, comment: str | None = None,
            fingerprint: str | None = None) -> Assessment:
    """The acting person approves the credits in `role`, which they must hold. With
    `fingerprint` (of the figures they reviewed), refused if the figures have moved."""
    def step(review: Review, who: Principal) -> tuple[Review, ReviewEvent]:
        return gate.approve(review, role=role, by=who.name, roles_held=who.roles)

    return _step(ctx, incident_id, Action.SLA_REVIEW, step, comment=comment,
                 fingerprint=fingerprint)


def request_changes(ctx: Context, incident_id: str, *, role: ReviewRole,
                    comment: str) -> Assessment:
    def step(review: Review, who: Principal) -> tuple[Review, ReviewEvent]:
        return gate.request_changes(review, role=role, by=who.name, comment=comment,
                                    roles_held=who.roles)

    return _step(ctx, incident_id, Action.SLA_REVIEW, step)


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
    with ctx.db.reading() as conn:
        incident = incident_repo.get(conn, incident_id)
        authorize(conn, ctx, Action.SLA_EXPORT, incident=incident)
        current = assessment_in(conn, incident_id)
        stored = store.get(conn, incident_id)
    if current is None or stored is None:
        raise _not_assessed(incident_id)
    if not current.review.is_approved:
        raise gate_refusal(current.review)
    if current.fingerprint != stored.inputs_digest:
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


def gate_refusal(review: Review) -> NotApproved:
    missing = [r.value for r in ReviewRole if review.approval(r) is None]
    return NotApproved(
        f"the assessment is {review.state.value}, not approved: credits leave warroom only "
        f"after legal and finance approve (missing: {', '.join(missing) or 'none'})")


def revalidate_incident(conn: Connection, ctx: Context, incident_id: str,
                        months: Sequence[str] = ()) -> None:
    """Called after an incident or its impact changed: void approvals whose inputs moved."""
    wanted = set(months)
    own = store.get(conn, incident_id)
    if own is not None:
        wanted.add(own.month)
    lock_months(conn, sorted(wanted))
    for month in sorted(wanted):
        _revalidate_month(conn, ctx, month, skip=None)


def revalidate_month(conn: Connection, ctx: Context, month: str) -> None:
    """Void approvals of the month's assessments whose inputs changed (e.g. a new incident)."""
    lock_months(conn, [month])
    _revalidate_month(conn, ctx, month, skip=None)


def months_of(incident: Incident) -> list[str]:
    """The months an incident's impact window touches (an incident may cross a month end)."""
    window = incident.impact_window()
    return window_months(window) if window else []


def window_months(window: TimeWindow) -> list[str]:
    last = window.end - timedelta(microseconds=1) if window.end > window.start else window.end
    return sorted({str(Month.of(window.start)), str(Month.of(last))})


# -- plumbing --------------------------------------------------------------------------------

Step = Callable[[Review, Principal], tuple[Review, ReviewEvent]]


def lock_months(conn: Connection, months: Sequence[str]) -> None:
    """Serialize changes to the SLA figures of these months (their uptime is shared)."""
    lock(conn, *(f"sla-month:{m}" for m in months))


def _locked(conn: Connection, ctx: Context, incident_id: str) -> Incident:
    lock(conn, f"incident:{incident_id}")
    return incident_repo.get(conn, incident_id)


def _not_assessed(incident_id: str) -> NotFound:
    return NotFound(f"incident {incident_id} has no SLA assessment yet: run "
                    f"`warroom sla assess {incident_id} --customers ... --policy ...`")


def _step(ctx: Context, incident_id: str, action: Action, step: Step,
          comment: str | None = None, fingerprint: str | None = None) -> Assessment:
    """One step of the review, read, decided and written under the incident's lock, so a
    re-assessment running at the same moment is either seen by this step or voids it."""
    if ctx.authenticated_approvals and action is Action.SLA_REVIEW and not ctx.authenticated:
        raise PermissionDenied(
            "this deployment accepts approvals only from authenticated sessions "
            "(WARROOM_AUTHENTICATED_APPROVALS): sign in to the web pages, use an API token, "
            "or give your password when the command asks for it")

    def work(conn: Connection) -> Assessment:
        now = ctx.now()
        incident = _locked(conn, ctx, incident_id)
        who = authorize(conn, ctx, action, incident=incident)
        existing = store.get(conn, incident_id)
        if existing is None:
            raise _not_assessed(incident_id)
        lock_months(conn, [existing.month])
        current = _load(conn, incident_id)
        if fingerprint is not None and fingerprint != current.fingerprint:
            raise Conflict(
                f"the figures of {incident_id} changed since they were reviewed (fingerprint "
                f"{fingerprint[:12]}, now {current.fingerprint[:12]}): review them again")
        review, event = step(current.review, who)
        stored = _replace_review(existing, review, current)
        store.save(conn, stored, now=now)
        changes = _event_changes(event)
        changes["fingerprint"] = current.fingerprint
        if comment:
            changes["comment"] = comment
        record(conn, ctx, who, action=f"sla.{event.action}", entity_type="assessment",
               entity_id=incident_id, changes=changes)
        _revalidate_month(conn, ctx, existing.month, skip=incident_id)
        return _load(conn, incident_id)

    return ctx.db.write(work)


def _replace_review(existing: StoredAssessment, review: Review,
                    current: Assessment) -> StoredAssessment:
    """The stored assessment with the review after a step; its figures are the ones the
    step saw (`current`), so an approval always covers the stored figures."""
    return StoredAssessment(
        incident_id=existing.incident_id, month=existing.month, policy=existing.policy,
        policy_source=existing.policy_source, customers=existing.customers,
        customers_source=existing.customers_source, inputs_digest=current.fingerprint,
        review=review,
        result=AssessmentPublic.of(existing.incident_id, current.result, review,
                                   policy_source=existing.policy_source,
                                   customers_source=existing.customers_source,
                                   fingerprint=current.fingerprint).to_data(),
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
        raise _not_assessed(incident_id)
    policy = _policy_from_json(existing.policy)
    customers = tuple(_customer_from_json(c) for c in existing.customers)
    result, digest = _compute(conn, incident_repo.get(conn, incident_id), policy, customers)
    review = existing.review
    if digest != existing.inputs_digest:
        # The figures moved since they were reviewed (a change that reached no
        # revalidation): no approval given to other figures may stand behind these.
        review, _ = gate.inputs_changed(review)
    return Assessment(incident_id, result, review, policy, customers,
                      existing.policy_source, existing.customers_source, existing.updated_at,
                      digest)


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
                                       customers_source=existing.customers_source,
                                       fingerprint=digest).to_data(),
            created_at=existing.created_at, updated_at=now), now=now)
        changes = _event_changes(event)
        changes["fingerprint"] = {"before": existing.inputs_digest, "after": digest}
        record(conn, ctx, principal(conn, ctx), action="sla.inputs_changed",
               entity_type="assessment", entity_id=existing.incident_id, changes=changes)


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
