"""SLA rules, hand-computed: uptime, brackets at their edges, rounding, exclusions, scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext

import pytest

from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput
from warroom.domain.minutes import MinuteSet, epoch_minute
from warroom.domain.scope import Scope
from warroom.domain.sla import (
    Bracket,
    IncidentImpact,
    MaintenanceWindow,
    Month,
    SlaPolicy,
    Tier,
    assess,
    claim_deadline,
    credit_amount,
    credit_percent,
    inputs_digest,
    monthly_uptime,
    policy_problems,
)
from warroom.domain.window import TimeWindow

D = Decimal
NOV = Month(2025, 11)

ENTERPRISE = Tier(
    "enterprise",
    D("99.95"),
    (Bracket(D("99.95"), D(10)), Bracket(D("99.0"), D(25)), Bracket(D("95.0"), D(100))),
)
BUSINESS = Tier(
    "business", D("99.9"), (Bracket(D("99.9"), D(5)), Bracket(D("99.0"), D(10))), cap_percent=D(100)
)
POLICY = SlaPolicy(tiers=(ENTERPRISE, BUSINESS), currency="USD", notice_hours=48, deadline_days=30)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def window(start: str, end: str) -> TimeWindow:
    return TimeWindow(at(start), at(end))


def minutes(start: str, end: str) -> MinuteSet:
    return MinuteSet.from_window(window(start, end))


# The reference incident: 14:02 -> 19:49 UTC on 8 November 2025, 347 minutes.
REFERENCE = window("2025-11-08T14:02", "2025-11-08T19:49")


def customer(
    cid: str, tier: str = "enterprise", fee: str = "10000", *regions: str, currency: str = "USD"
) -> Customer:
    return Customer(cid, f"Customer {cid}", tier, D(fee), currency, tuple(regions))


# -- uptime ---------------------------------------------------------------------------------


def test_it_computes_the_reference_uptime_in_full_precision() -> None:
    uptime = monthly_uptime(347, NOV)
    assert str(uptime).startswith("99.19675925925925925")
    assert uptime.quantize(D("0.001")) == D("99.197")


def test_it_counts_the_minutes_of_each_month() -> None:
    assert NOV.minutes == 43_200
    assert Month(2024, 2).minutes == 41_760  # leap year
    assert Month(2025, 2).minutes == 40_320
    assert Month(2025, 12).minutes == 44_640
    assert Month(2025, 12).window.end == at("2026-01-01T00:00")


def test_it_gives_a_month_without_downtime_full_uptime() -> None:
    assert monthly_uptime(0, NOV) == 100


def test_it_refuses_more_down_minutes_than_the_month_has() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        monthly_uptime(43_201, NOV)


def test_it_ignores_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        assert str(monthly_uptime(347, NOV)).startswith("99.1967592592")


# -- brackets and credits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uptime", "percent"),
    [
        ("100", 0),
        ("99.95", 0),  # exactly the target earns nothing: brackets are strictly below
        ("99.949", 10),
        ("99.0", 10),
        ("98.99", 25),
        ("95.0", 25),
        ("94.999", 100),
        ("0", 100),
    ],
)
def test_it_picks_the_lowest_bracket_strictly_above_the_uptime(uptime: str, percent: int) -> None:
    assert credit_percent(ENTERPRISE, D(uptime)) == percent


def test_it_gives_the_reference_brackets_for_347_minutes() -> None:
    uptime = monthly_uptime(347, NOV)
    assert credit_percent(ENTERPRISE, uptime) == 10
    assert credit_percent(BUSINESS, uptime) == 5


def test_it_reaches_a_bracket_edge_exactly_at_432_minutes_in_november() -> None:
    # 1 % of 43,200 minutes is 432: uptime exactly 99.0, not below 99.0.
    assert monthly_uptime(432, NOV) == D("99.0")
    assert credit_percent(ENTERPRISE, monthly_uptime(432, NOV)) == 10
    assert credit_percent(ENTERPRISE, monthly_uptime(433, NOV)) == 25


def test_it_holds_the_credit_at_the_tiers_cap() -> None:
    capped = Tier(
        "business",
        D("99.9"),
        (Bracket(D("99.9"), D(5)), Bracket(D("99"), D(10)), Bracket(D("95"), D(60))),
        cap_percent=D(50),
    )
    assert credit_percent(capped, D("90")) == 50
    assert credit_percent(capped, D("98")) == 10


def test_it_rounds_half_up_to_the_cent() -> None:
    assert credit_amount(D("1234.565"), D(10)) == D("123.46")  # 123.4565
    assert credit_amount(D("0.05"), D(10)) == D("0.01")  # 0.005: half-up, not half-even
    assert credit_amount(D("1234.56"), D(10)) == D("123.46")  # 123.456
    assert credit_amount(D("1234.54"), D(10)) == D("123.45")  # 123.454


def test_it_rounds_to_the_currencys_smallest_unit() -> None:
    assert credit_amount(D("12345"), D(10), currency="JPY") == D("1235")
    assert credit_amount(D("12.3456"), D(10), currency="KWD") == D("1.235")


def test_it_does_not_issue_credits_below_the_minimum() -> None:
    assert credit_amount(D("499.90"), D(10), minimum_credit=D(50)) == D("0.00")
    assert credit_amount(D("500"), D(10), minimum_credit=D(50)) == D("50.00")


def test_it_sets_the_claim_deadline_after_the_month_ends() -> None:
    assert claim_deadline(NOV, 30) == date(2025, 12, 30)
    assert claim_deadline(Month(2025, 12), 30) == date(2026, 1, 30)
    assert claim_deadline(NOV, None) is None


# -- policy rules ---------------------------------------------------------------------------


def test_it_accepts_the_policy_of_the_design() -> None:
    assert policy_problems(POLICY) == []


def test_it_refuses_overlapping_brackets() -> None:
    tier = Tier("t", D("99.9"), (Bracket(D("99.9"), D(5)), Bracket(D("99.9"), D(10))))
    [problem] = policy_problems(SlaPolicy(tiers=(tier,)))
    assert problem.field == "tiers.t.credits[1].below"
    assert "overlap" in problem.message


def test_it_refuses_unsorted_brackets() -> None:
    tier = Tier("t", D("99.9"), (Bracket(D("99"), D(10)), Bracket(D("99.9"), D(5))))
    problems = policy_problems(SlaPolicy(tiers=(tier,)))
    assert "brackets must be sorted by descending `below`" in problems[0].message


def test_it_refuses_percentages_that_do_not_grow() -> None:
    tier = Tier("t", D("99.9"), (Bracket(D("99.9"), D(10)), Bracket(D("99"), D(10))))
    [problem] = policy_problems(SlaPolicy(tiers=(tier,)))
    assert problem.field == "tiers.t.credits[1].percent"


@pytest.mark.parametrize("percent", ["0", "-5", "100.01", "NaN"])
def test_it_refuses_a_percent_outside_0_to_100(percent: str) -> None:
    tier = Tier("t", D("99.9"), (Bracket(D("99.9"), D(percent)),))
    [problem] = policy_problems(SlaPolicy(tiers=(tier,)))
    assert problem.code == "out_of_range"


def test_it_refuses_a_bracket_above_the_uptime_target() -> None:
    tier = Tier("t", D("99.9"), (Bracket(D("99.99"), D(5)),))
    [problem] = policy_problems(SlaPolicy(tiers=(tier,)))
    assert problem.code == "above_target"


def test_it_refuses_an_unknown_currency() -> None:
    [problem] = policy_problems(SlaPolicy(tiers=(ENTERPRISE,), currency="usd"))
    assert "did you mean 'USD'" in problem.message


# -- the assessment ---------------------------------------------------------------------------


def test_it_assesses_the_reference_incident() -> None:
    customers = [customer("E1", "enterprise", "10000"), customer("B1", "business", "2000")]
    result = assess(POLICY, customers, IncidentImpact(REFERENCE))
    enterprise, business = result.rows
    assert enterprise.down_minutes_declared == enterprise.down_minutes_measured == 347
    assert enterprise.uptime_declared.quantize(D("0.001")) == D("99.197")
    assert (enterprise.credit_percent_high, enterprise.credit_high) == (D(10), D("1000.00"))
    assert (business.credit_percent_high, business.credit_high) == (D(5), D("100.00"))
    assert result.liability.low == result.liability.high == D("1100.00")
    assert not result.logs_analysed
    assert result.claim_deadline == date(2025, 12, 30)
    assert result.month == NOV
    assert result.currency == "USD"


def test_it_totals_each_tier() -> None:
    customers = [
        customer("E1"),
        customer("E2", "enterprise", "1234.565"),
        customer("B1", "business", "2000"),
    ]
    result = assess(POLICY, customers, IncidentImpact(REFERENCE))
    enterprise, business = result.tiers
    assert (enterprise.tier, enterprise.customers, enterprise.high) == (
        "enterprise",
        2,
        D("1123.46"),
    )  # 1000.00 + 123.46 (123.4565 rounded first)
    assert (business.tier, business.customers, business.high) == ("business", 1, D("100.00"))


def test_it_adds_up_several_incidents_of_the_month() -> None:
    first = IncidentImpact(window("2025-11-03T10:00", "2025-11-03T13:20"))  # 200 min
    second = IncidentImpact(window("2025-11-20T08:00", "2025-11-20T13:00"))  # 300 min
    result = assess(POLICY, [customer("E1")], first, others=[second])
    [row] = result.rows
    assert row.down_minutes_declared == 500
    assert row.incident_minutes_declared == 200
    assert row.credit_percent_high == 25  # each alone would be 10 %
    assert result.incidents_in_month == 2


def test_it_does_not_count_overlapping_incidents_twice() -> None:
    first = IncidentImpact(window("2025-11-08T14:00", "2025-11-08T17:00"))
    second = IncidentImpact(window("2025-11-08T16:00", "2025-11-08T19:00"))
    [row] = assess(POLICY, [customer("E1")], first, others=[second]).rows
    assert row.down_minutes_declared == 300


def test_it_ignores_incidents_of_other_months() -> None:
    october = IncidentImpact(window("2025-10-20T08:00", "2025-10-20T18:00"))
    result = assess(POLICY, [customer("E1")], IncidentImpact(REFERENCE), others=[october])
    assert result.rows[0].down_minutes_declared == 347
    assert result.incidents_in_month == 1


def test_it_clips_an_incident_to_its_month() -> None:
    late = IncidentImpact(window("2025-11-30T23:00", "2025-12-01T02:00"))
    [row] = assess(POLICY, [customer("E1")], late).rows
    assert row.down_minutes_declared == 60


def test_it_removes_the_minutes_of_a_maintenance_window_announced_in_time() -> None:
    maintenance = MaintenanceWindow(
        at("2025-11-08T13:45"), at("2025-11-08T14:30"), announced_at=at("2025-11-05T09:00")
    )
    policy = SlaPolicy(
        tiers=(ENTERPRISE,), currency="USD", notice_hours=48, maintenance_windows=(maintenance,)
    )
    result = assess(policy, [customer("E1")], IncidentImpact(REFERENCE))
    assert result.rows[0].down_minutes_declared == 347 - 28  # 14:02 -> 14:30 excluded
    [finding] = result.exclusions
    assert finding.counts and not finding.announced_late
    assert finding.incident_began_inside  # the reference's case: legal should look
    assert finding.minutes_in_month == 45


def test_it_keeps_the_minutes_of_a_window_announced_too_late_and_flags_it() -> None:
    maintenance = MaintenanceWindow(
        at("2025-11-08T13:45"), at("2025-11-08T14:30"), announced_at=at("2025-11-07T14:00")
    )  # 23:45 before
    policy = SlaPolicy(
        tiers=(ENTERPRISE,), currency="USD", notice_hours=48, maintenance_windows=(maintenance,)
    )
    result = assess(policy, [customer("E1")], IncidentImpact(REFERENCE))
    assert result.rows[0].down_minutes_declared == 347
    [finding] = result.exclusions
    assert finding.announced_late and not finding.counts


def test_it_counts_a_window_without_announcement_time_or_notice_rule() -> None:
    unannounced = MaintenanceWindow(at("2025-11-08T19:00"), at("2025-11-08T20:00"))
    late = MaintenanceWindow(
        at("2025-11-08T14:00"), at("2025-11-08T14:10"), announced_at=at("2025-11-08T13:59")
    )
    policy = SlaPolicy(tiers=(ENTERPRISE,), maintenance_windows=(unannounced, late))
    result = assess(policy, [customer("E1")], IncidentImpact(REFERENCE))
    assert result.rows[0].down_minutes_declared == 347 - 49 - 8  # 19:00-19:49, 14:02-14:10
    assert all(f.counts for f in result.exclusions)


def test_it_reports_only_windows_that_touch_the_month() -> None:
    october = MaintenanceWindow(at("2025-10-08T13:45"), at("2025-10-08T14:30"))
    policy = SlaPolicy(tiers=(ENTERPRISE,), maintenance_windows=(october,))
    assert assess(policy, [customer("E1")], IncidentImpact(REFERENCE)).exclusions == ()


def test_it_gives_nothing_to_a_tier_without_sla() -> None:
    result = assess(
        POLICY, [customer("F1", "free", "500"), customer("E1")], IncidentImpact(REFERENCE)
    )
    free = result.row("F1")
    assert free is not None
    assert not free.has_sla
    assert free.down_minutes_declared == 347  # its impact is still shown
    assert (free.credit_low, free.credit_high, free.credit_percent_high) == (D(0), D(0), D(0))
    assert result.no_sla == ("F1",)
    assert result.liability.high == D("1000.00")


def test_it_leaves_customers_of_other_regions_out_of_a_regional_incident() -> None:
    customers = [
        customer("EU", "enterprise", "10000", "eu-west"),
        customer("US", "enterprise", "10000", "us-east"),
        customer("ALL", "enterprise", "10000"),
        customer("BOTH", "enterprise", "10000", "us-east", "eu-west"),
    ]
    incident = IncidentImpact(REFERENCE, Scope(regions=("eu-west",)))
    result = assess(POLICY, customers, incident)
    assert [row.customer_id for row in result.rows] == ["EU", "ALL", "BOTH"]
    assert result.row("US") is None
    assert result.out_of_scope == 1
    assert result.liability.high == D("3000.00")


def test_it_counts_another_incident_only_for_customers_in_its_scope() -> None:
    customers = [
        customer("EU", "enterprise", "10000", "eu-west"),
        customer("US", "enterprise", "10000", "us-east"),
    ]
    us_only = IncidentImpact(
        window("2025-11-20T08:00", "2025-11-20T13:00"), Scope(regions=("us-east",))
    )
    result = assess(POLICY, customers, IncidentImpact(REFERENCE), others=[us_only])
    eu, us = result.rows
    assert eu.down_minutes_declared == 347
    assert us.down_minutes_declared == 347 + 300


def test_it_takes_the_low_figure_from_measured_minutes() -> None:
    start = epoch_minute(REFERENCE.start)
    measured = {
        "E1": MinuteSet(((start, start + 20),)),  # 20 min: uptime 99.954 → nothing
        "E2": MinuteSet(((start, start + 21),)),
    }  # 21 min: 99.951… → nothing
    incident = IncidentImpact(REFERENCE, measured=measured)
    result = assess(POLICY, [customer("E1"), customer("E2"), customer("E3")], incident)
    e1, e2, e3 = result.rows
    assert (e1.down_minutes_measured, e1.credit_low, e1.credit_high) == (
        20,
        D("0.00"),
        D("1000.00"),
    )
    assert e2.down_minutes_measured == 21 and e2.credit_low == 0
    assert e3.down_minutes_measured == 0  # no failed requests at all
    assert result.logs_analysed
    assert (result.liability.low, result.liability.high) == (D("0.00"), D("3000.00"))


def test_it_earns_the_first_bracket_from_22_measured_minutes() -> None:
    start = epoch_minute(REFERENCE.start)
    incident = IncidentImpact(REFERENCE, measured={"E1": MinuteSet(((start, start + 22),))})
    [row] = assess(POLICY, [customer("E1")], incident).rows
    assert row.uptime_measured < D("99.95")  # 99.949074…
    assert row.credit_low == D("1000.00") == row.credit


def test_it_keeps_measured_minutes_inside_the_declared_window() -> None:
    before = epoch_minute(REFERENCE.start) - 30
    incident = IncidentImpact(REFERENCE, measured={"E1": MinuteSet(((before, before + 40),))})
    result = assess(POLICY, [customer("E1")], incident)
    assert result.rows[0].down_minutes_measured == 10
    assert result.measured_outside_window == 30


def test_it_lets_declared_minutes_stand_in_for_an_incident_without_logs() -> None:
    start = epoch_minute(REFERENCE.start)
    other = IncidentImpact(window("2025-11-20T08:00", "2025-11-20T13:00"))  # no logs
    incident = IncidentImpact(REFERENCE, measured={"E1": MinuteSet(((start, start + 10),))})
    result = assess(POLICY, [customer("E1")], incident, others=[other])
    assert result.rows[0].down_minutes_measured == 310
    assert result.incidents_without_logs == 1


def test_it_names_measured_customers_missing_from_the_registry() -> None:
    start = epoch_minute(REFERENCE.start)
    incident = IncidentImpact(REFERENCE, measured={"GHOST": MinuteSet(((start, start + 1),))})
    assert assess(POLICY, [customer("E1")], incident).unregistered_customers == ("GHOST",)


def test_it_applies_the_minimum_credit_in_the_assessment() -> None:
    policy = SlaPolicy(tiers=(ENTERPRISE,), minimum_credit=D(50))
    result = assess(
        policy,
        [customer("SMALL", "enterprise", "499"), customer("BIG", "enterprise", "500")],
        IncidentImpact(REFERENCE),
    )
    assert [row.credit_high for row in result.rows] == [D("0.00"), D("50.00")]


def test_it_caps_a_business_credit() -> None:
    business = Tier(
        "business", D("99.9"), (Bracket(D("99.9"), D(5)), Bracket(D("99"), D(10))), cap_percent=D(7)
    )
    long = IncidentImpact(window("2025-11-08T00:00", "2025-11-09T00:00"))  # 1440 min
    [row] = assess(SlaPolicy(tiers=(business,)), [customer("B1", "business", "1000")], long).rows
    assert (row.credit_percent_high, row.credit_high) == (D(7), D("70.00"))


def test_it_takes_off_what_other_assessments_already_credited_this_month() -> None:
    result = assess(
        POLICY, [customer("E1")], IncidentImpact(REFERENCE), already_credited={"E1": D("400.00")}
    )
    assert result.rows[0].credit_high == D("600.00")
    none_left = assess(
        POLICY, [customer("E1")], IncidentImpact(REFERENCE), already_credited={"E1": D("1000.00")}
    )
    assert none_left.rows[0].credit_high == D("0.00")


def test_it_refuses_duplicate_customer_ids() -> None:
    with pytest.raises(InvalidInput, match="more than once"):
        assess(POLICY, [customer("E1"), customer("E1")], IncidentImpact(REFERENCE))


def test_it_refuses_a_customer_billed_in_another_currency() -> None:
    with pytest.raises(InvalidInput, match="differs from the policy's currency USD"):
        assess(POLICY, [customer("E1", currency="EUR")], IncidentImpact(REFERENCE))


def test_it_refuses_mixed_currencies_when_the_policy_names_none() -> None:
    policy = SlaPolicy(tiers=(ENTERPRISE,))
    with pytest.raises(InvalidInput, match="several currencies"):
        assess(policy, [customer("A", currency="EUR"), customer("B")], IncidentImpact(REFERENCE))


def test_it_does_not_mind_the_currency_of_customers_without_sla() -> None:
    result = assess(
        POLICY, [customer("F1", "free", "10", currency="EUR")], IncidentImpact(REFERENCE)
    )
    assert result.no_sla == ("F1",)


def test_it_refuses_an_invalid_policy() -> None:
    broken = SlaPolicy(tiers=())
    with pytest.raises(InvalidInput, match="at least one tier"):
        assess(broken, [customer("E1")], IncidentImpact(REFERENCE))


def test_it_assesses_an_explicit_month() -> None:
    result = assess(POLICY, [customer("E1")], IncidentImpact(REFERENCE), month=Month(2025, 12))
    assert result.rows[0].down_minutes_declared == 0
    assert result.liability.high == 0


# -- change detection -----------------------------------------------------------------------


def test_it_fingerprints_inputs_regardless_of_customer_order() -> None:
    a, b = customer("A"), customer("B")
    incident = IncidentImpact(REFERENCE)
    assert inputs_digest(POLICY, [a, b], incident) == inputs_digest(POLICY, [b, a], incident)


def test_it_changes_the_fingerprint_when_an_input_changes() -> None:
    incident = IncidentImpact(REFERENCE)
    before = inputs_digest(POLICY, [customer("A")], incident)
    assert inputs_digest(POLICY, [customer("A", "enterprise", "10001")], incident) != before
    longer = IncidentImpact(TimeWindow(REFERENCE.start, REFERENCE.end + timedelta(minutes=1)))
    assert inputs_digest(POLICY, [customer("A")], longer) != before
    measured = IncidentImpact(REFERENCE, measured={"A": MinuteSet(((1, 2),))})
    assert inputs_digest(POLICY, [customer("A")], measured) != before
    assert inputs_digest(POLICY, [customer("A")], incident, already_credited={"A": D(1)}) != before


def test_it_treats_equal_decimals_as_the_same_input() -> None:
    incident = IncidentImpact(REFERENCE)
    assert inputs_digest(POLICY, [customer("A", "enterprise", "10")], incident) == inputs_digest(
        POLICY, [customer("A", "enterprise", "10.00")], incident
    )
