"""The legal + finance approval gate of an SLA assessment, and what outside audiences may see
of it.

The gate is a pure state machine: each operation takes the current `Review` and returns
the new one plus a `ReviewEvent` for the audit log, or raises a domain error and
changes nothing. `view_for` is the one place that decides what of an assessment a
customer or the public may see; staff read the assessment whole, in the shape of
`warroom.schemas.sla.AssessmentPublic`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from warroom.domain.audience import Audience
from warroom.domain.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    PermissionDenied,
    Problem,
)
from warroom.domain.sla import SlaAssessment


class NotApproved(Conflict):
    """Credits asked for before legal and finance approved them: the gate is closed."""

    code = "not_approved"


class ReviewState(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class ReviewRole(StrEnum):
    LEGAL = "legal"
    FINANCE = "finance"


def parse_role(value: str) -> ReviewRole:
    try:
        return ReviewRole(value.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in ReviewRole)
        raise InvalidInput(
            [
                Problem(
                    field="role",
                    code="unknown_role",
                    message=f"unknown review role {value!r}; expected one of {names}",
                )
            ]
        ) from None


@dataclass(frozen=True)
class Approval:
    role: ReviewRole
    by: str


@dataclass(frozen=True)
class Review:
    """Where an assessment stands: its state and the approvals it holds."""

    state: ReviewState = ReviewState.DRAFT
    approvals: tuple[Approval, ...] = ()

    @property
    def is_approved(self) -> bool:
        return self.state is ReviewState.APPROVED

    def approval(self, role: ReviewRole) -> Approval | None:
        for approval in self.approvals:
            if approval.role is role:
                return approval
        return None


@dataclass(frozen=True)
class ReviewEvent:
    """One step of the review, as the audit log records it."""

    action: str  # submitted, approved, changes_requested, inputs_changed
    by: str | None
    before: ReviewState
    after: ReviewState
    role: ReviewRole | None = None
    comment: str | None = None
    voided: tuple[Approval, ...] = ()  # approvals this step cancelled

    def describe(self) -> str:
        who = f" by {self.by}" if self.by else ""
        role = f" as {self.role.value}" if self.role else ""
        text = f"{self.action}{who}{role}: {self.before.value} -> {self.after.value}"
        if self.voided:
            names = ", ".join(f"{a.role.value} ({a.by})" for a in self.voided)
            text += f"; voided approvals: {names}"
        if self.comment:
            text += f"; {self.comment}"
        return text


def submit(review: Review, *, by: str) -> tuple[Review, ReviewEvent]:
    """Send a draft (or a reworked assessment) to legal and finance."""
    by = _person(by)
    if review.state not in (ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED):
        raise IllegalTransition(
            f"only a draft or an assessment with changes requested can be submitted; "
            f"this one is {review.state.value}"
        )
    new = Review(ReviewState.PENDING_REVIEW)
    return new, ReviewEvent("submitted", by, review.state, new.state)


def approve(
    review: Review, *, role: ReviewRole, by: str, roles_held: Iterable[str | ReviewRole]
) -> tuple[Review, ReviewEvent]:
    """Record `by`'s approval as `role`; approved once legal and finance (two people) agree."""
    by = _person(by)
    _require_pending(review, "approved")
    _require_role(role, by, roles_held)
    same_role = review.approval(role)
    if same_role is not None:
        raise Conflict(f"{role.value} has already approved (by {same_role.by})")
    for earlier in review.approvals:
        if earlier.by == by:
            # Four eyes: one person may not stand for both legal and finance.
            raise Conflict(
                f"{by} already approved as {earlier.role.value}; the {role.value} "
                f"approval must come from a different person"
            )
    approvals = (*review.approvals, Approval(role, by))
    both = {approval.role for approval in approvals} == set(ReviewRole)
    new = Review(ReviewState.APPROVED if both else ReviewState.PENDING_REVIEW, approvals)
    return new, ReviewEvent("approved", by, review.state, new.state, role=role)


def request_changes(
    review: Review,
    *,
    role: ReviewRole,
    by: str,
    roles_held: Iterable[str | ReviewRole],
    comment: str,
) -> tuple[Review, ReviewEvent]:
    """Send the assessment back; approvals already given are voided with it."""
    by = _person(by)
    if not comment.strip():
        raise InvalidInput(
            [Problem(field="comment", code="required", message="say what should change")]
        )
    _require_pending(review, "sent back")
    _require_role(role, by, roles_held)
    new = Review(ReviewState.CHANGES_REQUESTED)
    return new, ReviewEvent(
        "changes_requested",
        by,
        review.state,
        new.state,
        role=role,
        comment=comment.strip(),
        voided=review.approvals,
    )


def inputs_changed(review: Review, *, by: str | None = None) -> tuple[Review, ReviewEvent]:
    """The policy, registry, incident or logs changed: every approval given is void.

    An approved assessment (or a pending one holding approvals) goes back to
    pending_review; a draft or one with changes requested keeps its state.
    """
    if review.state in (ReviewState.APPROVED, ReviewState.PENDING_REVIEW):
        new = Review(ReviewState.PENDING_REVIEW)
    else:
        new = Review(review.state)
    return new, ReviewEvent("inputs_changed", by, review.state, new.state, voided=review.approvals)


def _person(by: str) -> str:
    by = by.strip()
    if not by:
        raise InvalidInput([Problem(field="by", code="required", message="say who is acting")])
    return by


def _require_pending(review: Review, verb: str) -> None:
    if review.state is not ReviewState.PENDING_REVIEW:
        raise IllegalTransition(
            f"only an assessment pending review can be {verb}; this one is {review.state.value}"
        )


def _require_role(role: ReviewRole, by: str, roles_held: Iterable[str | ReviewRole]) -> None:
    held = {r.value if isinstance(r, ReviewRole) else str(r).strip().lower() for r in roles_held}
    if role.value not in held:
        raise PermissionDenied(f"{by} does not hold the {role.value} role")


# -- what outside audiences see --------------------------------------------------------------

THREE_PLACES = Decimal("0.001")


def shown_uptime(uptime: Decimal) -> Decimal:
    """An uptime as reports show it: three places, half-up (99.19675… → 99.197)."""
    return uptime.quantize(THREE_PLACES, rounding=ROUND_HALF_UP)


def view_for(
    result: SlaAssessment, audience: Audience, *, review: Review, customer_id: str | None = None
) -> dict[str, Any]:
    """What of an assessment a customer or the public may see, as plain data (Decimals,
    ints, text, dates).

    - customer (needs `customer_id`): that customer's own impact and uptime, and, only
      once the review is approved, its own credit: the measured figure where logs were
      analysed, else the declared one (`CustomerCredit.credit`). Never totals, tiers,
      other customers, the review state or anyone's name on our side;
    - public: nothing (an empty mapping).

    Staff (internal, confidential) see everything, so they get no view: they read the
    assessment itself (`warroom.schemas.sla.AssessmentPublic`), and asking for theirs
    here is a mistake.
    """
    if audience is Audience.PUBLIC:
        return {}
    if audience is Audience.CUSTOMER:
        if not customer_id:
            raise ValueError("a customer view needs the customer_id it is for")
        return _customer_view(result, customer_id, approved=review.is_approved)
    raise ValueError(f"the {audience.value} audience reads the whole assessment, not a view")


def _customer_view(result: SlaAssessment, customer_id: str, *, approved: bool) -> dict[str, Any]:
    row = result.row(customer_id)
    view: dict[str, Any] = {
        "audience": Audience.CUSTOMER.value,
        "customer_id": customer_id,
        "month": str(result.month),
        "affected": row is not None,
    }
    if row is None:
        return view
    view.update(
        {
            "name": row.name,
            "tier": row.tier,
            "incident_minutes": row.incident_minutes,
            "month_down_minutes": row.down_minutes,
            "uptime": shown_uptime(row.uptime),
        }
    )
    if approved and row.has_sla and row.credit > 0:  # no "claim $0.00" notices
        view["credit"] = {
            "percent": row.credit_percent,
            "amount": row.credit,
            "currency": row.currency,
            "claim_deadline": result.claim_deadline,
        }
    return view
