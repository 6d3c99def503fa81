"""Properties of the SLA rules, the approval gate and the audience views, over random inputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.assessment import (
    Review,
    ReviewRole,
    ReviewState,
    approve,
    inputs_changed,
    request_changes,
    submit,
    view_for,
)
from warroom.domain.audience import Audience
from warroom.domain.customers import Customer
from warroom.domain.errors import WarroomError
from warroom.domain.minutes import MinuteSet, epoch_minute
from warroom.domain.scope import Scope
from warroom.domain.sla import (
    Assessor,
    Bracket,
    IncidentImpact,
    Month,
    SlaAssessment,
    SlaPolicy,
    Tier,
    assess,
    credit_amount,
    credit_percent,
    inputs_digest,
    monthly_uptime,
    policy_problems,
)
from warroom.domain.window import TimeWindow

D = Decimal
REGIONS = ("eu", "us", "ap")
CENT = D("0.01")

months = st.builds(Month, st.integers(2020, 2030), st.integers(1, 12))
money = st.decimals(min_value=0, max_value=1_000_000, places=3)


@st.composite
def tiers(draw: st.DrawFn, name: str = "gold") -> Tier:
    """A valid tier: brackets by descending `below`, percents growing, optional cap."""
    belows = draw(
        st.lists(
            st.decimals(min_value=D("50.01"), max_value=100, places=2),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    percents = draw(
        st.lists(
            st.decimals(min_value=D("0.5"), max_value=100, places=1),
            min_size=len(belows),
            max_size=len(belows),
            unique=True,
        )
    )
    brackets = tuple(
        Bracket(below, percent)
        for below, percent in zip(sorted(belows, reverse=True), sorted(percents), strict=True)
    )
    cap = draw(st.none() | st.decimals(min_value=1, max_value=100, places=0))
    return Tier(name, brackets[0].below, brackets, cap)


@st.composite
def policies(draw: st.DrawFn) -> SlaPolicy:
    return SlaPolicy(
        tiers=(draw(tiers("gold")), draw(tiers("silver"))),
        currency="USD",
        minimum_credit=draw(st.sampled_from([D(0), D(0), D(25), D("100.50")])),
        deadline_days=30,
    )


@st.composite
def customer_lists(draw: st.DrawFn) -> list[Customer]:
    count = draw(st.integers(1, 6))
    return [
        Customer(
            customer_id=f"CUST{i:03d}",
            name=f"Name of CUST{i:03d}",
            tier=draw(st.sampled_from(["gold", "silver", "free"])),
            monthly_fee=draw(money),
            currency="USD",
            regions=tuple(draw(st.lists(st.sampled_from(REGIONS), unique=True, max_size=2))),
        )
        for i in range(count)
    ]


@st.composite
def incidents(draw: st.DrawFn, month: Month, customers: list[Customer]) -> IncidentImpact:
    offset = draw(st.integers(0, month.minutes - 1))
    length = draw(st.integers(1, 4000))
    start = month.window.start + timedelta(minutes=offset)
    window = TimeWindow(start, start + timedelta(minutes=length))
    regions = draw(st.none() | st.lists(st.sampled_from(REGIONS), min_size=1, unique=True))
    scope = Scope(regions=None if regions is None else tuple(regions))
    measured: dict[str, MinuteSet] | None = None
    if draw(st.booleans()):
        first = epoch_minute(start)
        measured = {}
        for customer in customers:
            ranges = draw(
                st.lists(
                    st.tuples(st.integers(-100, length + 100), st.integers(1, 500)), max_size=3
                )
            )
            measured[customer.customer_id] = MinuteSet(
                tuple((first + s, first + s + n) for s, n in ranges)
            )
    return IncidentImpact(window, scope, measured)


@st.composite
def assessments(draw: st.DrawFn) -> tuple[SlaAssessment, list[Customer]]:
    month = draw(months)
    customers = draw(customer_lists())
    incident = draw(incidents(month, customers))
    others = draw(st.lists(incidents(month, customers), max_size=3))
    return assess(draw(policies()), customers, incident, others=others), customers


@given(policies())
def test_the_generated_policies_are_valid(policy: SlaPolicy) -> None:
    assert policy_problems(policy) == []


@settings(max_examples=200)
@given(assessments())
def test_low_never_exceeds_high(case: tuple[SlaAssessment, list[Customer]]) -> None:
    result, _ = case
    assert result.liability.low <= result.liability.high
    for row in result.rows:
        assert row.down_minutes_measured <= row.down_minutes_declared
        assert row.uptime_measured >= row.uptime_declared
        assert row.credit_percent_low <= row.credit_percent_high
        assert D(0) <= row.credit_low <= row.credit_high
    for tier in result.tiers:
        assert tier.low <= tier.high


@settings(max_examples=200)
@given(assessments())
def test_totals_are_sums_of_rounded_customer_credits(
    case: tuple[SlaAssessment, list[Customer]],
) -> None:
    result, _ = case
    for row in result.rows:
        assert row.credit_low == row.credit_low.quantize(CENT)
        assert row.credit_high == row.credit_high.quantize(CENT)
    assert result.liability.low == sum(row.credit_low for row in result.rows)
    assert result.liability.high == sum(row.credit_high for row in result.rows)
    assert result.liability.high == sum(tier.high for tier in result.tiers)
    assert result.liability.low == sum(tier.low for tier in result.tiers)


@given(
    tiers(),
    months,
    money,
    st.integers(0, 44_640),
    st.integers(0, 44_640),
    st.sampled_from([D(0), D(50)]),
)
def test_a_credit_never_decreases_when_downtime_grows(
    tier: Tier, month: Month, fee: Decimal, a: int, b: int, minimum: Decimal
) -> None:
    less, more = sorted((min(a, month.minutes), min(b, month.minutes)))

    def credit(down: int) -> Decimal:
        percent = credit_percent(tier, monthly_uptime(down, month))
        return credit_amount(fee, percent, minimum_credit=minimum)

    assert credit(less) <= credit(more)


@settings(max_examples=100)
@given(st.data())
def test_another_incident_never_lowers_a_credit(data: st.DataObject) -> None:
    month = data.draw(months)
    customers = data.draw(customer_lists())
    policy = data.draw(policies())
    incident = data.draw(incidents(month, customers))
    extra = data.draw(incidents(month, customers))
    before = assess(policy, customers, incident)
    after = assess(policy, customers, incident, others=[extra])
    for old, new in zip(before.rows, after.rows, strict=True):
        assert new.credit_low >= old.credit_low
        assert new.credit_high >= old.credit_high


# -- one customer at a time ------------------------------------------------------------------


@st.composite
def streamed(
    draw: st.DrawFn,
) -> tuple[
    SlaPolicy,
    list[Customer],
    IncidentImpact,
    list[IncidentImpact],
    dict[str, Decimal],
    list[list[Customer]],
]:
    """Inputs of an assessment, what earlier ones credited, and the registry in batches."""
    month = draw(months)
    customers = draw(customer_lists())
    incident = draw(incidents(month, customers))
    others = draw(st.lists(incidents(month, customers), max_size=2))
    credited = {
        c.customer_id: draw(st.sampled_from([D(0), D("10.00"), D("123.45")]))
        for c in customers
        if draw(st.booleans())
    }
    cuts = sorted(draw(st.lists(st.integers(0, len(customers)), max_size=3)))
    bounds = [0, *cuts, len(customers)]
    batches = [customers[a:b] for a, b in pairwise(bounds)]
    return draw(policies()), customers, incident, others, credited, batches


@settings(max_examples=200)
@given(streamed())
def test_streaming_in_any_batches_gives_the_figures_of_a_whole_assessment(
    case: tuple[
        SlaPolicy,
        list[Customer],
        IncidentImpact,
        list[IncidentImpact],
        dict[str, Decimal],
        list[list[Customer]],
    ],
) -> None:
    policy, customers, incident, others, credited, batches = case
    whole = assess(policy, customers, incident, others=others, already_credited=credited)
    assessor = Assessor(policy, incident, others=others)
    rows = [
        row
        for batch in batches
        for customer in batch
        if (row := assessor.add(customer, credited.get(customer.customer_id, D(0))))
    ]
    streamed_result = assessor.finish(rows)
    assert streamed_result == whole
    assert assessor.fingerprint.value == inputs_digest(
        policy, customers, incident, others=others, already_credited=credited
    )


@settings(max_examples=200)
@given(streamed())
def test_streamed_totals_are_sums_of_the_rounded_lines(
    case: tuple[
        SlaPolicy,
        list[Customer],
        IncidentImpact,
        list[IncidentImpact],
        dict[str, Decimal],
        list[list[Customer]],
    ],
) -> None:
    policy, customers, incident, others, credited, batches = case
    assessor = Assessor(policy, incident, others=others)
    rows = [
        row
        for batch in batches
        for customer in batch
        if (row := assessor.add(customer, credited.get(customer.customer_id, D(0))))
    ]
    totals = assessor.finish()  # totals kept as customers came, no line held
    assert totals.rows == ()
    assert totals.liability.low == sum(row.credit_low for row in rows)
    assert totals.liability.high == sum(row.credit_high for row in rows)
    for tier in totals.tiers:
        mine = [row for row in rows if row.tier == tier.tier]
        assert tier.customers == len(mine)
        assert (tier.low, tier.high) == (
            sum(row.credit_low for row in mine),
            sum(row.credit_high for row in mine),
        )
        assert tier.percents == tuple(
            sorted(
                {
                    p
                    for row in mine
                    for p in (row.credit_percent_low, row.credit_percent_high)
                    if p > 0
                }
            )
        )
    assert totals.in_scope == len(rows)
    assert totals.out_of_scope == len(customers) - len(rows)
    assert totals.no_sla_count == sum(1 for row in rows if not row.has_sla)


CHANGES = (
    "fee",
    "name",
    "tier",
    "regions",
    "currency",
    "credited",
    "drop",
    "add",
    "reorder",
    "same_fee_written_otherwise",
)


@settings(max_examples=300)
@given(customer_lists(), st.sampled_from(CHANGES), st.data())
def test_the_fingerprint_changes_exactly_when_an_input_does(
    customers: list[Customer], change: str, data: st.DataObject
) -> None:
    """Every input of a customer's figures is in the fingerprint; what cannot change a
    figure (the order of the registry, how a number is written) is not."""
    policy = data.draw(policies())
    incident = data.draw(incidents(Month(2025, 11), customers))
    credited: dict[str, Decimal] = {}
    before = inputs_digest(policy, customers, incident, already_credited=credited)
    i = data.draw(st.integers(0, len(customers) - 1))
    one = customers[i]
    changed, now_credited = list(customers), dict(credited)
    if change == "fee":
        changed[i] = replace(one, monthly_fee=one.monthly_fee + D("0.01"))
    elif change == "name":
        changed[i] = replace(one, name=one.name + " Ltd")
    elif change == "tier":
        changed[i] = replace(one, tier="gold" if one.tier != "gold" else "silver")
    elif change == "regions":
        changed[i] = replace(one, regions=(*one.regions, "sa-east"))
    elif change == "currency":
        changed[i] = replace(one, currency="EUR")
    elif change == "credited":
        now_credited[one.customer_id] = D("0.01")
    elif change == "drop":
        del changed[i]
    elif change == "add":
        changed.append(replace(one, customer_id="NEW001"))
    elif change == "reorder":
        changed = data.draw(st.permutations(customers))
    else:
        changed[i] = replace(one, monthly_fee=one.monthly_fee.quantize(D("0.00001")))
    after = inputs_digest(policy, changed, incident, already_credited=now_credited)
    same_inputs = change in ("reorder", "same_fee_written_otherwise")
    assert (after == before) is same_inputs


def _keys_and_values(value: Any) -> tuple[set[str], list[Any]]:
    if isinstance(value, dict):
        keys, values = set(value), []
        for item in value.values():
            more_keys, more_values = _keys_and_values(item)
            keys |= more_keys
            values += more_values
        return keys, values
    if isinstance(value, list):
        keys, values = set(), []
        for item in value:
            more_keys, more_values = _keys_and_values(item)
            keys |= more_keys
            values += more_values
        return keys, values
    return set(), [value]


@settings(max_examples=200)
@given(assessments(), st.data(), st.sampled_from(list(ReviewState)))
def test_a_customer_view_holds_only_that_customers_data(
    case: tuple[SlaAssessment, list[Customer]], data: st.DataObject, state: ReviewState
) -> None:
    result, customers = case
    me = data.draw(st.sampled_from(customers))
    view = view_for(result, Audience.CUSTOMER, review=Review(state), customer_id=me.customer_id)
    text = repr(view)
    for other in customers:
        if other is not me:
            assert other.customer_id not in text
            assert other.name not in text
    keys, values = _keys_and_values(view)
    for staff_only in (
        "liability",
        "tiers",
        "customers",
        "review",
        "approvals",
        "no_sla",
        "monthly_fee",
        "credit_high",
        "credit_low",
        "exclusions",
    ):
        assert staff_only not in keys
    if state is not ReviewState.APPROVED:
        assert "credit" not in keys and "amount" not in keys
        # The only Decimal a customer sees before approval is its uptime.
        assert [v for v in values if isinstance(v, Decimal)] == (
            [view["uptime"]] if view["affected"] else []
        )


@given(assessments(), st.sampled_from(list(ReviewState)))
def test_the_public_sees_nothing_of_an_assessment(
    case: tuple[SlaAssessment, list[Customer]], state: ReviewState
) -> None:
    assert view_for(case[0], Audience.PUBLIC, review=Review(state)) == {}


# -- the gate -------------------------------------------------------------------------------

PEOPLE = {"ann": ["legal"], "bob": ["finance"], "cat": ["legal", "finance"], "dan": []}
operations = st.lists(
    st.tuples(
        st.sampled_from(["submit", "approve", "request_changes", "inputs_changed"]),
        st.sampled_from(sorted(PEOPLE)),
        st.sampled_from(list(ReviewRole)),
    ),
    max_size=12,
)


@settings(max_examples=300)
@given(operations)
def test_approved_always_means_legal_and_finance_by_two_people(
    steps: list[tuple[str, str, ReviewRole]],
) -> None:
    review = Review()
    for operation, person, role in steps:
        try:
            if operation == "submit":
                review, event = submit(review, by=person)
            elif operation == "approve":
                review, event = approve(review, role=role, by=person, roles_held=PEOPLE[person])
            elif operation == "request_changes":
                review, event = request_changes(
                    review, role=role, by=person, roles_held=PEOPLE[person], comment="fix"
                )
            else:
                review, event = inputs_changed(review, by=person)
        except WarroomError:
            continue  # refused: nothing changed
        assert event.after is review.state
        if review.state is ReviewState.APPROVED:
            assert {a.role for a in review.approvals} == set(ReviewRole)
            assert len({a.by for a in review.approvals}) == 2
        else:
            assert len(review.approvals) < 2
        for approval in review.approvals:
            assert approval.role.value in PEOPLE[approval.by]
        if operation == "inputs_changed":
            assert review.approvals == ()
            assert review.state is not ReviewState.APPROVED
