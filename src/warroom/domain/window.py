"""UTC times: the rule that a time has an offset, how a time is written (ISO-8601 with `Z`),
and the half-open time window [start, end), counted in whole minutes where needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal


def require_utc(value: datetime, what: str = "time") -> datetime:
    """Return `value` converted to UTC; refuse naive datetimes (they are ambiguous)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()} has no UTC offset")
    return value.astimezone(UTC)


def iso_z(at: datetime, *, timespec: Literal["auto", "seconds", "milliseconds"] = "auto") -> str:
    """`at` as ISO-8601 in UTC with a `Z` (``2025-11-08T14:02:00Z``): the one way warroom
    writes a time for machines (JSON, YAML, feeds, logs). "auto" keeps microseconds only
    when there are some, so stored times round-trip; "seconds" is for messages to people,
    "milliseconds" for log lines. Naive times are refused (`require_utc`)."""
    return require_utc(at).isoformat(timespec=timespec).replace("+00:00", "Z")


def floor_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_utc(self.start, "window start"))
        object.__setattr__(self, "end", require_utc(self.end, "window end"))
        if self.end <= self.start:
            raise ValueError(
                f"window end {self.end.isoformat()} is not after its start {self.start.isoformat()}"
            )

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def minutes(self) -> int:
        """Length in whole minutes (the reference 14:02 -> 19:49 is 347)."""
        return int(self.duration.total_seconds() // 60)

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def overlap(self, other: TimeWindow) -> TimeWindow | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return TimeWindow(start, end) if end > start else None
