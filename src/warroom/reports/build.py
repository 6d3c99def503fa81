"""Build the report model of one audience from the record, the impact analysis and the
SLA assessment. Pure: the report service gathers the inputs from the store.

What an audience may see is decided by the domain (`incident_view`, `assessment.view_for`);
this module only arranges those views into sections, so no figure is computed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from warroom.domain.assessment import Review, view_for
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput, NotFound, Problem
from warroom.domain.impact import ImpactResult
from warroom.domain.incident import Incident
from warroom.domain.redaction import incident_view
from warroom.domain.sla import SlaAssessment, SlaPolicy, TierTotal
from warroom.reports.model import (
    CreditOffer,
    CustomerSection,
    Evidence,
    ImpactSection,
    MinutePoint,
    ReportModel,
    SlaSection,
    TierCredit,
)
from warroom.reports.summary import outside_summary, staff_summary


@dataclass(frozen=True)
class SlaInputs:
    """An incident's SLA assessment as the report reads it: its totals with the lines the
    report needs (a customer version's own line), and the entries it needs of the registry
    the assessment used (the customer's, and those of the affected customers)."""

    result: SlaAssessment
    review: Review
    policy: SlaPolicy
    customers: tuple[Customer, ...]


@dataclass(frozen=True)
class RevisionStamp:
    number: int
    published_at: datetime


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report may draw on; the audience decides what it shows."""

    incident: Incident
    generated_at: datetime
    severity_label: str | None = None
    impact: ImpactResult | None = None
    impact_customers_total: int | None = None  # registry size given to `warroom impact`
    sla: SlaInputs | None = None
    prepared_by: str | None = None


def build_report(
    inputs: ReportInputs,
    audience: Audience,
    *,
    customer_id: str | None = None,
    revision: RevisionStamp | None = None,
    previous: RevisionStamp | None = None,
) -> ReportModel:
    """The model of `audience`'s report (for `customer_id` when the audience is customer).

    `revision` stamps a published revision ("last updated"); `previous` marks a draft that
    differs from the audience's last published revision.
    """
    if audience is Audience.CUSTOMER and not customer_id:
        raise InvalidInput(
            [
                Problem(
                    "--customer",
                    "missing",
                    "a customer version is for one customer: pass --customer ID",
                )
            ]
        )
    if audience is not Audience.CUSTOMER and customer_id:
        raise InvalidInput(
            [Problem("--customer", "not_allowed", "--customer only goes with --audience customer")]
        )
    return restamp(_unstamped(inputs, audience, customer_id), revision=revision, previous=previous)


def restamp(
    model: ReportModel,
    *,
    revision: RevisionStamp | None = None,
    previous: RevisionStamp | None = None,
) -> ReportModel:
    """`model` as published revision `revision` ("last updated"), or as a draft that
    differs from `previous`, or (neither) as a draft never published."""
    return replace(
        model,
        last_updated=revision.published_at if revision else None,
        revision=revision.number if revision else None,
        previous_revision=previous.number if previous else None,
    )


def _unstamped(inputs: ReportInputs, audience: Audience, customer_id: str | None) -> ReportModel:
    view = incident_view(inputs.incident, audience)
    common: dict[str, Any] = dict(
        audience=audience,
        incident=view,
        generated_at=inputs.generated_at,
        severity_label=inputs.severity_label,
    )
    if view.is_staff:
        impact = impact_section(inputs)
        summary = view.summary or staff_summary(
            view,
            window=impact.window,
            severity_label=inputs.severity_label,
            customers_affected=impact.customers_affected,
            customers_total=impact.customers_total,
            users_affected=impact.users_affected,
        )
        return ReportModel(
            **common,
            executive_summary=summary,
            impact=impact,
            prepared_by=inputs.prepared_by,
            sla=sla_section(inputs.sla) if inputs.sla else None,
        )
    summary = view.summary or outside_summary(view)
    customer = customer_section(inputs, customer_id) if customer_id else None
    return ReportModel(
        **common,
        executive_summary=summary,
        customer=customer,
    )


def impact_section(inputs: ReportInputs) -> ImpactSection:
    """Measured figures with their evidence; without an analysis, the declared window."""
    sla, impact = inputs.sla, inputs.impact
    registry_size = sla.result.registry_size if sla else inputs.impact_customers_total
    if impact is None:
        window = inputs.incident.impact_window()
        # declared only: every in-scope registry customer counts as affected
        in_scope = sla.result.in_scope if sla else None
        return ImpactSection(
            window=window,
            customers_affected=in_scope,
            customers_total=registry_size,
            declared_only=True,
        )
    provenance = impact.provenance
    engine = " ".join(part for part in (provenance.engine, provenance.engine_version) if part)
    affected = impact.customers_affected
    if sla is not None:  # a share of the registry counts the registry's customers only
        affected = impact.customers_affected_of({c.customer_id for c in sla.customers})
    return ImpactSection(
        window=impact.window,
        customers_affected=affected,
        customers_total=registry_size if registry_size is not None else impact.customers_total,
        users_affected=impact.users_affected,
        transactions_affected=impact.transactions_affected,
        requests_total=impact.requests_total,
        requests_failed=impact.requests_failed,
        evidence=Evidence(
            source=provenance.source,
            engine=engine,
            rows_scanned=provenance.rows_scanned,
            computed_at=provenance.computed_at,
            definition_hash=provenance.definition_hash,
        ),
        series=tuple(
            MinutePoint(at=s.at, requests=s.requests, failed=s.failed) for s in impact.series
        ),
    )


def sla_section(sla: SlaInputs) -> SlaSection:
    result = sla.result
    return SlaSection(
        month=result.month,
        currency=result.currency,
        tiers=sla.policy.tiers,
        by_tier=tuple(tier_credit(result, total) for total in result.tiers),
        liability=result.liability,
        review_state=sla.review.state,
        approvals=sla.review.approvals,
        claim_deadline=result.claim_deadline,
        logs_analysed=result.logs_analysed,
        exclusions=result.exclusions,
        customers_without_sla=result.no_sla_count,
    )


def tier_credit(result: SlaAssessment, total: TierTotal) -> TierCredit:
    """A tier's totals with the distinct non-zero credit percents its customers earn."""
    return TierCredit(total.tier, total.customers, total.percents, total.low, total.high)


def customer_section(inputs: ReportInputs, customer_id: str) -> CustomerSection:
    """One customer's own figures: what `view_for` allows, and its own request counts."""
    sla, impact = inputs.sla, inputs.impact
    own = impact.customer(customer_id) if impact else None
    registered = (
        next((c for c in sla.customers if c.customer_id == customer_id), None) if sla else None
    )
    if registered is None and own is None:
        where = (
            "the customer registry of the SLA assessment"
            if sla
            else "any SLA assessment (run `warroom sla assess` with the customer registry)"
        )
        raise NotFound(
            f"customer {customer_id!r} is not in {where}"
            + (" nor in the impact analysis" if impact else "")
        )
    if sla is None or registered is None:
        assert own is not None  # measured, but not in any registry we hold
        return CustomerSection(
            customer_id=customer_id,
            name=customer_id,
            affected=own.affected,
            requests=own.requests if own.affected else None,
            failed=own.failed if own.affected else None,
            incident_minutes=own.down_minute_count if own.affected else None,
        )
    seen = view_for(sla.result, Audience.CUSTOMER, review=sla.review, customer_id=customer_id)
    # In scope is not affected: where logs were analysed, affected means a failed request
    # (docs/definitions.md, affected customers); without logs, every in-scope customer
    # counts as affected.
    affected = bool(seen["affected"]) and (impact is None or (own is not None and own.affected))
    if not affected:
        return CustomerSection(
            customer_id=customer_id,
            name=registered.name,
            affected=False,
            tier=seen.get("tier"),
            month=sla.result.month,
        )
    credit = seen.get("credit")
    return CustomerSection(
        customer_id=customer_id,
        name=registered.name,
        affected=True,
        tier=seen.get("tier"),
        requests=own.requests if own else None,
        failed=own.failed if own else None,
        incident_minutes=seen.get("incident_minutes"),
        month=sla.result.month,
        month_down_minutes=seen.get("month_down_minutes"),
        uptime=seen.get("uptime"),
        credit=CreditOffer(
            percent=credit["percent"],
            amount=credit["amount"],
            currency=credit["currency"],
            claim_deadline=credit["claim_deadline"],
        )
        if credit
        else None,
    )
