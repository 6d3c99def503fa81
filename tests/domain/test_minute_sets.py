"""Minute sets against Python sets, time windows, scope and audience order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.audience import Audience
from warroom.domain.minutes import MinuteSet, epoch_minute, minute_start
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow, iso_z

REF_START = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)
REF_END = datetime(2025, 11, 8, 19, 49, tzinfo=UTC)

_RANGES = st.lists(st.tuples(st.integers(-30, 120), st.integers(-30, 120)), max_size=8)


def _as_set(ranges: list[tuple[int, int]]) -> set[int]:
    return {m for start, end in ranges for m in range(start, end)}


def _assert_normalised(minutes: MinuteSet) -> None:
    for start, end in minutes.ranges:
        assert start < end
    for (_, end), (start, _) in zip(minutes.ranges, minutes.ranges[1:], strict=False):
        assert end < start  # disjoint, sorted, and adjacent ranges merged


# -- MinuteSet against set -------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(a=_RANGES, b=_RANGES)
def test_set_operations_agree_with_python_sets(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> None:
    x, y = MinuteSet(tuple(a)), MinuteSet(tuple(b))
    sx, sy = _as_set(a), _as_set(b)
    assert set(x) == sx and len(x) == len(sx) and bool(x) == bool(sx)
    for result, expected in [
        (x | y, sx | sy),
        (x.union(y), sx | sy),
        (x & y, sx & sy),
        (x.intersection(y), sx & sy),
        (x - y, sx - sy),
        (x.difference(y), sx - sy),
        (y - x, sy - sx),
    ]:
        _assert_normalised(result)
        assert list(result) == sorted(expected)
        assert len(result) == len(expected)
        assert result == MinuteSet.from_minutes(expected)


@settings(max_examples=100, deadline=None)
@given(a=_RANGES, probe=st.integers(-40, 130))
def test_membership_agrees_with_a_python_set(a: list[tuple[int, int]], probe: int) -> None:
    assert (probe in MinuteSet(tuple(a))) == (probe in _as_set(a))


@settings(max_examples=100, deadline=None)
@given(a=_RANGES)
def test_a_minute_set_survives_a_json_round_trip(a: list[tuple[int, int]]) -> None:
    minutes = MinuteSet(tuple(a))
    data = minutes.to_json()
    assert all(isinstance(pair, list) and len(pair) == 2 for pair in data)
    assert MinuteSet.from_json(data) == minutes
    _assert_normalised(minutes)


def test_normalisation_merges_adjacent_and_overlapping_ranges() -> None:
    assert MinuteSet(((5, 7), (0, 2), (2, 4), (6, 9))).ranges == ((0, 4), (5, 9))
    assert MinuteSet(((3, 3), (4, 2))).ranges == ()
    assert MinuteSet.from_minutes([3, 1, 2, 7]).ranges == ((1, 4), (7, 8))
    assert MinuteSet(((0, 2),)) == MinuteSet(((0, 1), (1, 2)))


def test_an_empty_set_is_false_and_has_no_minutes() -> None:
    empty = MinuteSet()
    assert not empty and len(empty) == 0 and list(empty) == []
    assert empty.to_json() == []


def test_only_whole_numbers_are_members() -> None:
    minutes = MinuteSet(((0, 10),))
    assert 3 in minutes
    assert "3" not in minutes
    assert 3.5 not in minutes
    assert 10 not in minutes


def test_from_json_reads_numbers_written_as_text() -> None:
    assert MinuteSet.from_json([["1", "3"], [5, 6]]).ranges == ((1, 3), (5, 6))


# -- windows as minutes ----------------------------------------------------------------------


def test_the_reference_window_covers_347_minutes() -> None:
    window = TimeWindow(REF_START, REF_END)
    minutes = MinuteSet.from_window(window)
    assert window.minutes == 347
    assert len(minutes) == 347
    assert minutes.ranges == ((epoch_minute(REF_START), epoch_minute(REF_END)),)
    assert minute_start(min(minutes)) == REF_START
    assert minute_start(max(minutes)) == datetime(2025, 11, 8, 19, 48, tzinfo=UTC)
    assert epoch_minute(REF_END) not in minutes


def test_a_window_starting_mid_minute_counts_its_partial_first_minute() -> None:
    window = TimeWindow(
        datetime(2025, 11, 8, 14, 2, 30, tzinfo=UTC), datetime(2025, 11, 8, 14, 5, tzinfo=UTC)
    )
    minutes = MinuteSet.from_window(window)
    assert [minute_start(m).strftime("%H:%M") for m in minutes] == ["14:02", "14:03", "14:04"]
    assert window.minutes == 2  # 2.5 minutes long, counted down to whole minutes


def test_a_window_ending_mid_minute_counts_the_minute_it_ends_in() -> None:
    window = TimeWindow(REF_START, datetime(2025, 11, 8, 14, 4, 1, tzinfo=UTC))
    minutes = MinuteSet.from_window(window)
    assert [minute_start(m).strftime("%H:%M") for m in minutes] == ["14:02", "14:03", "14:04"]


def test_a_window_in_another_offset_covers_the_same_utc_minutes() -> None:
    paris = timezone(timedelta(hours=1))
    window = TimeWindow(
        datetime(2025, 11, 8, 15, 2, tzinfo=paris), datetime(2025, 11, 8, 20, 49, tzinfo=paris)
    )
    assert window.start == REF_START and window.start.tzinfo == UTC
    assert MinuteSet.from_window(window) == MinuteSet.from_window(TimeWindow(REF_START, REF_END))


def test_epoch_minutes_count_from_1970() -> None:
    assert epoch_minute(datetime(1970, 1, 1, 0, 1, 59, tzinfo=UTC)) == 1
    assert minute_start(60) == datetime(1970, 1, 1, 1, 0, tzinfo=UTC)


# -- TimeWindow ------------------------------------------------------------------------------


@pytest.mark.parametrize("naive", ["start", "end"])
def test_it_refuses_a_naive_time_in_a_window(naive: str) -> None:
    start = REF_START.replace(tzinfo=None) if naive == "start" else REF_START
    end = REF_END.replace(tzinfo=None) if naive == "end" else REF_END
    with pytest.raises(ValueError, match=f"window {naive} .* has no UTC offset"):
        TimeWindow(start, end)


@pytest.mark.parametrize("end", [REF_START, REF_START - timedelta(seconds=1)])
def test_it_refuses_a_window_that_ends_at_or_before_its_start(end: datetime) -> None:
    with pytest.raises(ValueError, match="is not after its start"):
        TimeWindow(REF_START, end)


def test_a_window_is_half_open() -> None:
    window = TimeWindow(REF_START, REF_END)
    assert window.contains(REF_START)
    assert not window.contains(REF_END)
    assert window.duration == timedelta(hours=5, minutes=47)


def test_windows_overlap_only_when_they_share_time() -> None:
    window = TimeWindow(REF_START, REF_END)
    later = TimeWindow(REF_END - timedelta(minutes=9), REF_END + timedelta(hours=1))
    assert window.overlap(later) == TimeWindow(REF_END - timedelta(minutes=9), REF_END)
    touching = TimeWindow(REF_END, REF_END + timedelta(hours=1))
    assert window.overlap(touching) is None


# -- writing times ---------------------------------------------------------------------------


def test_times_are_written_in_utc_with_a_z_to_the_precision_asked_for() -> None:
    at = datetime(2025, 11, 8, 15, 2, 3, 450600, tzinfo=timezone(timedelta(hours=1)))
    assert iso_z(at) == "2025-11-08T14:02:03.450600Z"  # exact: stored times round-trip
    assert iso_z(at, timespec="milliseconds") == "2025-11-08T14:02:03.450Z"
    assert iso_z(at, timespec="seconds") == "2025-11-08T14:02:03Z"
    assert iso_z(REF_START) == "2025-11-08T14:02:00Z"  # no fraction when there is none


def test_a_naive_time_is_not_written() -> None:
    with pytest.raises(ValueError, match="has no UTC offset"):
        iso_z(REF_START.replace(tzinfo=None))


# -- Scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope_regions", "customer_regions", "expected"),
    [
        (None, ["eu-west"], True),  # the incident touched every region
        (None, None, True),
        (("eu-west",), ["eu-west", "us-east"], True),  # one shared region is enough
        (("eu-west",), ["us-east"], False),
        (("eu-west",), None, True),  # a customer served from every region
        (("eu-west",), [], True),
        ((), ["eu-west"], False),  # an incident with an empty region list touched none
    ],
)
def test_scope_covers_a_customer_that_shares_a_region(
    scope_regions: tuple[str, ...] | None, customer_regions: list[str] | None, expected: bool
) -> None:
    assert Scope(regions=scope_regions).covers_any_region(customer_regions) is expected


def test_the_default_scope_is_everything() -> None:
    assert Scope().is_everything and Scope.everything() == Scope()
    assert not Scope(services=("api",)).is_everything
    assert Scope(regions=("eu-west",)).covers_region("eu-west")
    assert not Scope(regions=("eu-west",)).covers_region("us-east")


# -- Audience --------------------------------------------------------------------------------

_ORDER = ["public", "customer", "internal", "confidential"]  # widest to narrowest


@pytest.mark.parametrize("reader", _ORDER)
@pytest.mark.parametrize("minimum", _ORDER)
def test_a_reader_sees_content_for_its_own_audience_and_wider(reader: str, minimum: str) -> None:
    expected = _ORDER.index(reader) >= _ORDER.index(minimum)
    assert Audience(reader).may_see(Audience(minimum)) is expected


def test_the_public_sees_only_public_content() -> None:
    assert [a.value for a in Audience if Audience.PUBLIC.may_see(a)] == ["public"]
    assert [a.value for a in Audience if Audience.CUSTOMER.may_see(a)] == ["public", "customer"]
    assert [a.value for a in Audience if Audience.CONFIDENTIAL.may_see(a)] == _ORDER
    assert [a.rank for a in Audience] == [0, 1, 2, 3]
