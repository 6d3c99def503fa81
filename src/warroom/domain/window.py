"""A half-open UTC time window [start, end), counted in whole minutes where needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def require_utc(value: datetime, what: str = "time") -> datetime:
    """Return `value` converted to UTC; refuse naive datetimes (they are ambiguous)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value.isoformat()} has no UTC offset")
    return value.astimezone(UTC)


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
