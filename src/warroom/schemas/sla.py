"""JSON shapes of SLA assessments (`sla assess --json`, `sla show --json`, the API)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import PlainSerializer

from warroom.domain.assessment import Review, shown_uptime
from warroom.domain.sla import CustomerCredit, SlaAssessment
from warroom.domain.window import iso_z
from warroom.schemas.base import Money, Schema, UtcTime

DecimalText = Annotated[
    Decimal, PlainSerializer(lambda v: format(v.normalize(), "f"), return_type=str)
]


class RangePublic(Schema):
    low: Money
    high: Money


class TierTotalPublic(Schema):
    tier: str
    customers: int
    low: Money
    high: Money


class CustomerCreditPublic(Schema):
    customer_id: str
    name: str
    tier: str
    has_sla: bool
    monthly_fee: Money
    currency: str
    incident_minutes_measured: int
    incident_minutes_declared: int
    down_minutes_measured: int  # the whole month, every incident, exclusions removed
    down_minutes_declared: int
    uptime_measured: DecimalText  # percent, three places
    uptime_declared: DecimalText
    credit_percent_low: DecimalText
    credit_low: Money
    credit_percent_high: DecimalText
    credit_high: Money

    @classmethod
    def of(cls, r: CustomerCredit) -> CustomerCreditPublic:
        return cls(
            customer_id=r.customer_id,
            name=r.name,
            tier=r.tier,
            has_sla=r.has_sla,
            monthly_fee=r.monthly_fee,
            currency=r.currency,
            incident_minutes_measured=r.incident_minutes_measured,
            incident_minutes_declared=r.incident_minutes_declared,
            down_minutes_measured=r.down_minutes_measured,
            down_minutes_declared=r.down_minutes_declared,
            uptime_measured=shown_uptime(r.uptime_measured),
            uptime_declared=shown_uptime(r.uptime_declared),
            credit_percent_low=r.credit_percent_low,
            credit_low=r.credit_low,
            credit_percent_high=r.credit_percent_high,
            credit_high=r.credit_high,
        )


class CreditLinesPage(Schema):
    """A page of an assessment's lines (`GET .../sla/lines`): `count` is every match."""

    data: list[CustomerCreditPublic]
    count: int
    limit: int
    offset: int


class ApprovalPublic(Schema):
    role: str
    by: str


class ReviewPublic(Schema):
    state: str
    approvals: list[ApprovalPublic]


class ExclusionPublic(Schema):
    start: UtcTime
    end: UtcTime
    announced_at: UtcTime | None
    counts: bool
    announced_late: bool
    incident_began_inside: bool
    minutes_in_month: int


class AssessmentPublic(Schema):
    incident_id: str
    month: str
    currency: str | None
    status: str
    review: ReviewPublic
    logs_analysed: bool
    note: str | None
    claim_deadline: date | None
    liability: RangePublic
    by_tier: list[TierTotalPublic]
    customers: list[CustomerCreditPublic]  # a page of them: customers_offset onwards
    customers_count: int  # every in-scope customer (`customers` may list fewer)
    customers_offset: int
    no_sla: list[str]  # those of `customers` whose tier has no SLA
    no_sla_count: int  # every in-scope customer whose tier has no SLA
    out_of_scope: int
    incidents_in_month: int
    exclusions: list[ExclusionPublic]
    policy_source: str
    customers_source: str
    fingerprint: str  # of every input of the figures: what an approval covers

    @classmethod
    def of(
        cls,
        incident_id: str,
        result: SlaAssessment,
        review: Review,
        *,
        policy_source: str,
        customers_source: str,
        fingerprint: str,
        offset: int = 0,
    ) -> AssessmentPublic:
        note = None
        if not result.logs_analysed:
            note = (
                "No request logs were analysed for this incident: both ends of the "
                "liability range use declared downtime (run `warroom impact` first)."
            )
        return cls(
            incident_id=incident_id,
            month=str(result.month),
            currency=result.currency,
            status=review.state.value,
            review=ReviewPublic(
                state=review.state.value,
                approvals=[ApprovalPublic(role=a.role.value, by=a.by) for a in review.approvals],
            ),
            logs_analysed=result.logs_analysed,
            note=note,
            claim_deadline=result.claim_deadline,
            liability=RangePublic(low=result.liability.low, high=result.liability.high),
            by_tier=[
                TierTotalPublic(tier=t.tier, customers=t.customers, low=t.low, high=t.high)
                for t in result.tiers
            ],
            customers=[CustomerCreditPublic.of(row) for row in result.rows],
            customers_count=result.in_scope,
            customers_offset=offset,
            no_sla=list(result.no_sla),
            no_sla_count=result.no_sla_count,
            out_of_scope=result.out_of_scope,
            incidents_in_month=result.incidents_in_month,
            exclusions=[
                ExclusionPublic(
                    start=f.window.start,
                    end=f.window.end,
                    announced_at=f.window.announced_at,
                    counts=f.counts,
                    announced_late=f.announced_late,
                    incident_began_inside=f.incident_began_inside,
                    minutes_in_month=f.minutes_in_month,
                )
                for f in result.exclusions
            ],
            policy_source=policy_source,
            customers_source=customers_source,
            fingerprint=fingerprint,
        )


def plain_view(value: object) -> Any:
    """Decimals and dates of a view as JSON text (money as decimal strings)."""
    if isinstance(value, dict):
        return {k: plain_view(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_view(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
