"""The down-minute rule, hand-computed: the threshold at its edge, the floor, its checks."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.downtime import DowntimeRule
from warroom.domain.errors import InvalidInput

D = Decimal


@pytest.mark.parametrize(
    ("failed", "total", "down"),
    [(5, 100, True), (4, 100, False), (0, 0, False), (1, 1, True), (0, 10, False)],
)
def test_it_decides_a_down_minute_from_the_error_rate(failed: int, total: int, down: bool) -> None:
    assert DowntimeRule().is_down(failed, total) is down


def test_it_needs_the_floor_of_failed_requests_for_a_down_minute() -> None:
    assert not DowntimeRule(min_failed_requests=2).is_down(1, 1)
    assert DowntimeRule(min_failed_requests=2).is_down(2, 2)


def test_a_minute_exactly_at_the_threshold_is_down() -> None:
    # 1 of 3 is 0.333...; a threshold of 0.333333333 is just below it, one of 1/3 is not
    assert DowntimeRule(D("0.333333333")).is_down(1, 3)
    assert not DowntimeRule(D("0.333333334")).is_down(1, 3)
    assert DowntimeRule(D("0.05")).is_down(1, 20)
    assert not DowntimeRule(D("0.05")).is_down(1, 21)
    assert DowntimeRule(D(1)).is_down(7, 7) and not DowntimeRule(D(1)).is_down(6, 7)


def test_it_compares_exactly_at_any_size() -> None:
    # 5 % of 10^15 requests is 5 * 10^13; one failure fewer is no longer down
    assert DowntimeRule().is_down(5 * 10**13, 10**15)
    assert not DowntimeRule().is_down(5 * 10**13 - 1, 10**15)


def test_its_threshold_is_a_ratio_in_lowest_terms() -> None:
    assert DowntimeRule().threshold_ratio == (1, 20)
    assert DowntimeRule(D("0.000000001")).threshold_ratio == (1, 10**9)


@pytest.mark.parametrize("threshold", [D(0), D("1.5"), D("-0.1"), D("NaN"), D("Infinity"), D(5)])
def test_a_threshold_outside_zero_to_one_is_refused(threshold: Decimal) -> None:
    with pytest.raises(InvalidInput) as caught:
        DowntimeRule(threshold)
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("downtime.error_rate_threshold", "out_of_range")
    assert "0.05 means 5 %" in problem.message


@pytest.mark.parametrize("threshold", [D("0.0000000001"), D("0.0009765625"), D("0.1234567891")])
def test_a_threshold_with_more_than_nine_decimal_places_is_refused(threshold: Decimal) -> None:
    # 0.0009765625 is 1/1024: a small denominator, but ten decimal places all the same
    with pytest.raises(InvalidInput, match="more than 9 decimal places") as caught:
        DowntimeRule(threshold)
    assert caught.value.problems[0].code == "too_precise"


@pytest.mark.parametrize("threshold", [D("0.123456789"), D("5E-2"), D("0.0500000000"), D(1)])
def test_nine_decimal_places_or_trailing_zeros_are_accepted(threshold: Decimal) -> None:
    assert DowntimeRule(threshold).error_rate_threshold == threshold


@pytest.mark.parametrize("floor", [0, -1, True, 1.5])
def test_a_floor_below_one_or_not_a_whole_number_is_refused(floor: object) -> None:
    with pytest.raises(
        InvalidInput, match="min_failed_requests must be a whole number of at least 1"
    ) as caught:
        DowntimeRule(min_failed_requests=floor)  # type: ignore[arg-type]
    assert caught.value.problems[0].field == "downtime.min_failed_requests"


def test_every_problem_of_a_rule_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        DowntimeRule(D(2), 0)
    assert [p.field for p in caught.value.problems] == [
        "downtime.error_rate_threshold",
        "downtime.min_failed_requests",
    ]


def test_its_defaults_are_the_designs() -> None:
    assert DowntimeRule() == DowntimeRule(D("0.05"), 1)


thresholds = st.decimals(min_value=D("0.000000001"), max_value=D(1), places=9)


@given(
    threshold=thresholds,
    floor=st.integers(1, 5),
    failed=st.integers(0, 10**6),
    total=st.integers(0, 10**6),
)
def test_it_agrees_with_dividing_in_exact_fractions(
    threshold: Decimal, floor: int, failed: int, total: int
) -> None:
    failed = min(failed, total)
    expected = total > 0 and failed >= floor and Fraction(failed, total) >= Fraction(threshold)
    assert DowntimeRule(threshold, floor).is_down(failed, total) is expected
