"""Numbers for reading: the reference report's rounding, percentages, durations, money, times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.sla import Month
from warroom.reports import numbers

D = Decimal


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (847, "847"),
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (1234, "~1,230"),
        (12_412, "~12,400"),
        (51_873, "~52,000"),
        (52_000, "52,000"),
        (52_013, "~52,000"),
        (49_951, "~50,000"),
        (99_960, "~100,000"),
        (342_117, "~342,000"),
        (5_123_456, "~5,100,000"),
    ],
)
def test_it_rounds_counts_like_the_reference(value: int, shown: str) -> None:
    assert numbers.about(value) == shown


def test_it_writes_approximately_in_words() -> None:
    assert numbers.about(12_412, words=True) == "Approximately 12,400"
    assert numbers.about(847, words=True) == "847"


@given(st.integers(0, 10**12))
def test_it_rounds_within_one_percent_and_marks_only_what_changed(value: int) -> None:
    shown = numbers.rounded(value)
    assert abs(shown - value) <= value / 100
    assert numbers.about(value).startswith("~") == (shown != value)
    assert int(numbers.about(value).lstrip("~").replace(",", "")) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D(10), "10%"),
        (D("10.0"), "10%"),
        (D("12.5"), "12.5%"),
        (D("99.950"), "99.95%"),
        (D("99.197"), "99.197%"),
        (100, "100%"),
    ],
)
def test_it_writes_percentages_as_sla_terms_do(value: Decimal | int, shown: str) -> None:
    assert numbers.percent(value) == shown


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (847, 847, "100%"),
        (846, 847, "99.9%"),
        (1, 10_000, "<0.1%"),
        (3, 8, "37.5%"),
        (0, 5, "0%"),
        (1, 3, "33.3%"),
        (5, 0, "n/a"),
    ],
)
def test_it_writes_shares_without_claiming_all_or_none(part: int, whole: int, shown: str) -> None:
    assert numbers.share(part, whole) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (347, "5 hours 47 minutes"),
        (60, "1 hour"),
        (1, "1 minute"),
        (0, "0 minutes"),
        (61, "1 hour 1 minute"),
        (1441, "1 day 1 minute"),
        (2 * 1440 + 180, "2 days 3 hours"),
        (timedelta(hours=5, minutes=47, seconds=59), "5 hours 47 minutes"),
    ],
)
def test_it_writes_durations_in_words(value: int | timedelta, shown: str) -> None:
    assert numbers.duration(value) == shown


def test_it_refuses_negative_durations() -> None:
    with pytest.raises(ValueError, match="negative"):
        numbers.duration(-1)


@pytest.mark.parametrize(
    ("amount", "currency", "whole", "shown"),
    [
        (D("127000"), "USD", False, "$127,000.00"),
        (D("127000"), "USD", True, "$127,000"),
        (D("127000.5"), "USD", True, "$127,000.50"),
        (D("1234.565"), "EUR", False, "€1,234.57"),
        (D("10"), "CHF", False, "CHF 10.00"),
        (D("5000"), "JPY", False, "¥5,000"),
        (D("1.2345"), "KWD", False, "KWD 1.235"),
        (D("127000"), None, False, "127,000.00"),
        (D("-5"), "GBP", False, "-£5.00"),
    ],
)
def test_it_writes_money_with_its_currency(
    amount: Decimal, currency: str | None, whole: bool, shown: str
) -> None:
    assert numbers.money(amount, currency, whole=whole) == shown


def test_it_writes_a_liability_range_like_the_reference() -> None:
    assert numbers.money_range(D("127000.00"), D("185000.00"), "USD") == "$127,000 - $185,000"
    assert numbers.money_range(D("127000.10"), D("185000.00"), "USD") == (
        "$127,000.10 - $185,000.00"
    )
    assert numbers.money_range(D("185000"), D("185000"), "USD") == "$185,000"


def test_it_writes_utc_times() -> None:
    at = datetime(2025, 11, 8, 15, 2, tzinfo=timezone(timedelta(hours=1)))
    assert numbers.hhmm(at) == "14:02"
    assert numbers.iso_z(at) == "2025-11-08T14:02:00Z"
    assert numbers.long_date(at) == "November 8, 2025"
    assert numbers.long_date(date(2025, 11, 22)) == "November 22, 2025"
    assert numbers.utc_datetime(at) == "November 8, 2025 14:02 UTC"
    assert numbers.month_label(Month(2025, 11)) == "November 2025"


def test_it_dates_clock_times_that_fall_on_a_later_day() -> None:
    late = datetime(2025, 11, 9, 2, 10, tzinfo=UTC)
    assert numbers.clock(late, date(2025, 11, 9)) == "02:10"
    assert numbers.clock(late, date(2025, 11, 8)) == "Nov 9 02:10"


def test_it_writes_a_window_on_one_day_or_across_days() -> None:
    start = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)
    assert numbers.span(start, start.replace(hour=19, minute=49)) == (
        "November 8, 2025 14:02 - 19:49 UTC"
    )
    assert numbers.span(start, start + timedelta(days=1)) == (
        "November 8, 2025 14:02 UTC - November 9, 2025 14:02 UTC"
    )


def test_it_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        numbers.hhmm(datetime(2025, 11, 8, 14, 2))


def test_it_humanizes_codes() -> None:
    assert numbers.humanize("pending_review") == "Pending review"
    assert numbers.humanize("enterprise") == "Enterprise"
