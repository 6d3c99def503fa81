"""Sets of whole UTC minutes, kept as sorted half-open ranges of epoch minutes.

Down minutes are counted, unioned across incidents and cut by exclusion windows;
keeping them as ranges makes that exact and small (a 6-hour outage is one range).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warroom.domain.window import TimeWindow, require_utc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_minute(at: datetime) -> int:
    """The whole minute (since 1970-01-01T00:00Z) that contains `at`."""
    return int((require_utc(at) - _EPOCH) // timedelta(minutes=1))


def minute_start(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


@dataclass(frozen=True)
class MinuteSet:
    """An immutable set of epoch minutes stored as disjoint, sorted [start, end) ranges."""

    ranges: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranges", _normalise(self.ranges))

    @classmethod
    def from_minutes(cls, minutes: Iterable[int]) -> MinuteSet:
        return cls(tuple((m, m + 1) for m in minutes))

    @classmethod
    def from_window(cls, window: TimeWindow) -> MinuteSet:
        """The minutes a window covers: every minute that starts inside it.

        Windows are whole minutes in practice (timeline entries are minute-precise);
        a partial first minute counts when the window starts inside it.
        """
        first = epoch_minute(window.start)
        last = epoch_minute(window.end - timedelta(microseconds=1))
        return cls(((first, last + 1),))

    def __len__(self) -> int:
        return sum(end - start for start, end in self.ranges)

    def __iter__(self) -> Iterator[int]:
        for start, end in self.ranges:
            yield from range(start, end)

    def __contains__(self, minute: object) -> bool:
        return isinstance(minute, int) and any(s <= minute < e for s, e in self.ranges)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def union(self, other: MinuteSet) -> MinuteSet:
        return MinuteSet(self.ranges + other.ranges)

    def __or__(self, other: MinuteSet) -> MinuteSet:
        return self.union(other)

    def intersection(self, other: MinuteSet) -> MinuteSet:
        out: list[tuple[int, int]] = []
        i = j = 0
        a, b = self.ranges, other.ranges
        while i < len(a) and j < len(b):
            start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if start < end:
                out.append((start, end))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return MinuteSet(tuple(out))

    def __and__(self, other: MinuteSet) -> MinuteSet:
        return self.intersection(other)

    def difference(self, other: MinuteSet) -> MinuteSet:
        out: list[tuple[int, int]] = []
        for start, end in self.ranges:
            cursor = start
            for o_start, o_end in other.ranges:
                if o_end <= cursor or o_start >= end:
                    continue
                if o_start > cursor:
                    out.append((cursor, o_start))
                cursor = max(cursor, o_end)
                if cursor >= end:
                    break
            if cursor < end:
                out.append((cursor, end))
        return MinuteSet(tuple(out))

    def __sub__(self, other: MinuteSet) -> MinuteSet:
        return self.difference(other)

    def to_json(self) -> list[list[int]]:
        return [[start, end] for start, end in self.ranges]

    @classmethod
    def from_json(cls, data: Iterable[Iterable[int]]) -> MinuteSet:
        pairs = []
        for pair in data:
            start, end = (int(x) for x in pair)
            pairs.append((start, end))
        return cls(tuple(pairs))


def _normalise(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in ranges if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)
