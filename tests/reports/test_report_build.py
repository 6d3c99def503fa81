"""Building a report model from the record, the impact analysis and the SLA assessment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from support.report_strategies import POLICY, reference_incident
from warroom.domain.assessment import Approval, Review, ReviewRole, ReviewState
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput, NotFound
from warroom.domain.impact import CustomerImpact, ImpactProvenance, ImpactResult, MinuteStat
from warroom.domain.minutes import epoch_minute
from warroom.domain.scope import Scope
from warroom.domain.sla import IncidentImpact, assess
from warroom.reports.build import ReportInputs, RevisionStamp, SlaInputs, build_report
from warroom.reports.render import render

GENERATED = datetime(2025, 11, 22, 16, 6, tzinfo=UTC)
CUSTOMERS = (
    Customer("C1", "Acme Corp", "enterprise", Decimal("10000.00"), "USD"),
    Customer("C2", "Beta Ltd", "business", Decimal("2000.00"), "USD"),
    Customer("C3", "Gamma Inc", "business", Decimal("3000.00"), "USD"),
)


def measured() -> ImpactResult:
    incident = reference_incident()
    window = incident.impact_window()
    assert window is not None
    start = epoch_minute(window.start)
    return ImpactResult(
        window=window,
        scope=Scope(),
        threshold=Decimal("0.05"),
        min_failed=1,
        users_affected=51_873,
        transactions_affected=12_412,
        per_customer=(CustomerImpact("C1", 400, 300), CustomerImpact("C2", 100, 0)),
        series=(MinuteStat(start, 250, 200), MinuteStat(start + 1, 250, 100)),
        provenance=ImpactProvenance(
            source="logs/2025-11-08.parquet",
            columns={"ts": "ts"},
            rows_scanned=500,
            engine="duckdb",
            engine_version="1.4.1",
            definition_hash="ab" * 16,
            computed_at=datetime(2025, 11, 9, tzinfo=UTC),
        ),
    )


def inputs(
    *,
    impact: ImpactResult | None = None,
    review: Review | None = None,
    summary: str | None = None,
    with_sla: bool = True,
) -> ReportInputs:
    incident = replace(reference_incident(), summary=summary)
    window = incident.impact_window()
    assert window is not None
    result = assess(POLICY, CUSTOMERS, IncidentImpact(window=window))
    sla = SlaInputs(
        result=result,
        review=review or Review(ReviewState.PENDING_REVIEW),
        policy=POLICY,
        customers=CUSTOMERS,
    )
    return ReportInputs(
        incident=incident,
        generated_at=GENERATED,
        severity_label="Critical",
        impact=impact,
        sla=sla if with_sla else None,
        prepared_by="Engineering Operations Team",
    )


def test_the_executive_summary_is_generated_from_the_data_when_nobody_wrote_one() -> None:
    model = build_report(inputs(impact=measured()), Audience.INTERNAL)
    assert model.executive_summary == (
        "On November 8, 2025, a SEV-1 (Critical) incident affected 1 customer (33.3% of the "
        "customer base) and approximately 52,000 users for 5 hours 47 minutes (14:02 - 19:49 "
        "UTC). Root cause: The incident was triggered by a database connection pool "
        "configuration change deployed as part of routine maintenance. Impact was mitigated "
        "at 18:45 UTC and full service was restored at 19:49 UTC."
    )


def test_a_summary_people_wrote_wins_over_the_generated_one() -> None:
    model = build_report(inputs(summary="Written by the commander."), Audience.INTERNAL)
    assert model.executive_summary == "Written by the commander."


def test_outside_versions_use_the_public_summary_or_a_generated_public_one() -> None:
    public = build_report(inputs(), Audience.PUBLIC)
    assert public.executive_summary == reference_incident().public_summary
    bare = replace(inputs(), incident=replace(reference_incident(), public_summary=None))
    assert build_report(bare, Audience.PUBLIC).executive_summary == (
        "Service Disruption. The service has been fully restored."
    )


def test_measured_impact_cites_its_evidence_and_takes_the_base_from_the_registry() -> None:
    impact = build_report(inputs(impact=measured()), Audience.INTERNAL).impact
    assert impact is not None and not impact.declared_only
    assert (
        impact.customers_affected,
        impact.customers_total,
        impact.users_affected,
        impact.transactions_affected,
        impact.requests_total,
        impact.requests_failed,
    ) == (1, 3, 51_873, 12_412, 500, 300)
    assert impact.evidence is not None
    assert (impact.evidence.source, impact.evidence.engine, impact.evidence.rows_scanned) == (
        "logs/2025-11-08.parquet",
        "duckdb 1.4.1",
        500,
    )
    assert [(p.requests, p.failed) for p in impact.series] == [(250, 200), (250, 100)]


def test_without_an_analysis_the_impact_is_the_declared_window_over_the_registry() -> None:
    impact = build_report(inputs(), Audience.INTERNAL).impact
    assert impact is not None and impact.declared_only
    assert impact.window is not None and impact.window.minutes == 347
    assert (impact.customers_affected, impact.customers_total, impact.users_affected) == (
        3,
        3,
        None,
    )


def test_the_sla_section_groups_credits_by_tier_with_the_percents_earned() -> None:
    sla = build_report(inputs(), Audience.INTERNAL).sla
    assert sla is not None and not sla.approved
    assert [(t.tier, t.customers, t.credit_percents, t.low, t.high) for t in sla.by_tier] == [
        ("enterprise", 1, (Decimal(10),), Decimal("1000.00"), Decimal("1000.00")),
        ("business", 2, (Decimal(5),), Decimal("250.00"), Decimal("250.00")),
    ]
    assert (sla.liability.low, sla.liability.high) == (Decimal("1250.00"), Decimal("1250.00"))


def test_a_customer_version_shows_its_own_credit_only_once_approved() -> None:
    pending = build_report(inputs(impact=measured()), Audience.CUSTOMER, customer_id="C1")
    assert pending.customer is not None and pending.customer.credit is None
    assert (pending.customer.name, pending.customer.requests, pending.customer.failed) == (
        "Acme Corp",
        400,
        300,
    )
    approved = Review(
        ReviewState.APPROVED, (Approval(ReviewRole.LEGAL, "L"), Approval(ReviewRole.FINANCE, "F"))
    )
    model = build_report(
        inputs(impact=measured(), review=approved), Audience.CUSTOMER, customer_id="C1"
    )
    assert model.customer is not None and model.customer.credit is not None
    assert (model.customer.credit.percent, model.customer.credit.amount) == (
        Decimal(10),
        Decimal("1000.00"),
    )
    assert model.sla is None and model.impact is None and model.prepared_by is None


def test_a_customer_version_needs_a_known_customer() -> None:
    with pytest.raises(InvalidInput, match="--customer"):
        build_report(inputs(), Audience.CUSTOMER)
    with pytest.raises(InvalidInput, match="--customer only goes with"):
        build_report(inputs(), Audience.INTERNAL, customer_id="C1")
    with pytest.raises(NotFound, match="C9"):
        build_report(inputs(), Audience.CUSTOMER, customer_id="C9")
    with pytest.raises(NotFound, match="sla assess"):
        build_report(inputs(with_sla=False), Audience.CUSTOMER, customer_id="C1")


def test_a_customer_measured_but_not_in_any_registry_gets_its_measured_figures() -> None:
    model = build_report(
        inputs(impact=measured(), with_sla=False), Audience.CUSTOMER, customer_id="C1"
    )
    assert model.customer is not None
    assert (model.customer.name, model.customer.affected, model.customer.failed) == (
        "C1",
        True,
        300,
    )


def test_revision_stamps_set_last_updated_and_drafts_name_the_revision_they_differ_from() -> None:
    stamp = RevisionStamp(3, datetime(2025, 11, 22, 16, 5, tzinfo=UTC))
    published = build_report(inputs(), Audience.INTERNAL, revision=stamp)
    assert (published.revision, published.last_updated) == (3, stamp.published_at)
    draft = build_report(inputs(), Audience.INTERNAL, previous=stamp)
    assert (draft.revision, draft.last_updated, draft.previous_revision) == (None, None, 3)


def test_an_incident_still_open_says_its_impact_window_is_not_known_yet() -> None:
    incident = replace(reference_incident(), summary=None, timeline=[], actions=[])
    model = build_report(
        ReportInputs(incident=incident, generated_at=GENERATED, severity_label="Critical"),
        Audience.INTERNAL,
    )
    assert model.executive_summary == (
        'A SEV-1 (Critical) incident, "Service Disruption", is closed; its impact window '
        "is not known yet."
    )
    assert model.impact is not None and model.impact.window is None


def test_the_share_of_the_base_counts_registered_customers_only() -> None:
    impact = replace(
        measured(),
        per_customer=(
            CustomerImpact("C1", 400, 300),
            CustomerImpact("C2", 100, 0),
            CustomerImpact("C9-unregistered", 50, 50),
        ),
    )
    section = build_report(inputs(impact=impact), Audience.INTERNAL).impact
    assert section is not None
    assert (section.customers_affected, section.customers_total) == (1, 3)


def test_a_customer_with_no_failed_request_is_told_it_was_not_affected() -> None:
    approved = Review(
        ReviewState.APPROVED, (Approval(ReviewRole.LEGAL, "L"), Approval(ReviewRole.FINANCE, "F"))
    )
    model = build_report(
        inputs(impact=measured(), review=approved), Audience.CUSTOMER, customer_id="C2"
    )
    assert model.customer is not None and not model.customer.affected
    assert (model.customer.requests, model.customer.credit) == (None, None)
    assert "was not affected by this incident" in render(model, "md")


def test_outside_versions_hold_no_data_loss_statement() -> None:
    incident = replace(reference_incident(), data_loss="3 rows of Acme Corp lost, Jane restoring")
    for audience in (Audience.PUBLIC, Audience.CUSTOMER):
        model = build_report(
            replace(inputs(), incident=incident),
            audience,
            customer_id="C1" if audience is Audience.CUSTOMER else None,
        )
        assert model.incident.data_loss is None
        assert "Acme Corp lost" not in render(model, "json")
