"""Scheduled maintenance as recorded facts, and the SLA exclusion windows they make.

A maintenance record says when work is planned, what it touches (services, regions)
and when it was announced. Whether it excuses downtime is the SLA's one exclusion rule
(`domain.sla.exclusion_findings`: announced at least `notice_hours` before it starts);
`exclusion_windows` only turns records into that rule's `MaintenanceWindow`s:

- a record never announced excuses nothing, so it makes no window;
- a cancelled record makes no window;
- a record makes a window for an incident only when its scope holds the incident's
  whole scope: the rule removes the window's minutes from every customer the incident
  touched, so maintenance of one region must not excuse an outage of all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.scope import Scope
from warroom.domain.sla import MaintenanceWindow, Month
from warroom.domain.text import text_problem
from warroom.domain.window import TimeWindow, require_utc

MAX_TITLE = 500
MAX_DESCRIPTION = 10_000
LONGEST = timedelta(days=14)  # a longer "maintenance" is an outage with a plan


@dataclass(frozen=True)
class MaintenanceRecord:
    """One scheduled maintenance window as stored."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    scope: Scope = field(default_factory=Scope)
    description: str | None = None
    announced_at: datetime | None = None  # None: not announced (yet)
    cancelled_at: datetime | None = None

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(self.starts_at, self.ends_at)

    @property
    def announced(self) -> bool:
        return self.announced_at is not None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def active_at(self, at: datetime) -> bool:
        return not self.cancelled and self.starts_at <= require_utc(at) < self.ends_at

    def covers(self, scope: Scope) -> bool:
        """The record touches everything `scope` names (None: everything)."""
        return _holds(self.scope.regions, scope.regions) and _holds(
            self.scope.services, scope.services
        )

    def touches(self, scope: Scope) -> bool:
        """The record and `scope` share a region and a service (a subscriber's interest)."""
        return _meets(self.scope.regions, scope.regions) and _meets(
            self.scope.services, scope.services
        )


def _holds(outer: tuple[str, ...] | None, inner: tuple[str, ...] | None) -> bool:
    if outer is None:
        return True
    return inner is not None and set(inner) <= set(outer)


def _meets(one: tuple[str, ...] | None, other: tuple[str, ...] | None) -> bool:
    return one is None or other is None or not set(one).isdisjoint(other)


def check_schedule(
    *, title: str, starts_at: datetime, ends_at: datetime, description: str | None = None
) -> None:
    """Refuse a window that cannot be scheduled: no title, ending before it starts,
    longer than `LONGEST`, text with control characters."""
    problems: list[Problem] = []
    if not title.strip():
        problems.append(Problem("title", "missing", "a maintenance window needs a title"))
    elif len(title) > MAX_TITLE:
        problems.append(
            Problem("title", "too_long", f"the title is longer than {MAX_TITLE} characters")
        )
    for name, value in (("title", title), ("description", description)):
        if (found := text_problem(name, value)) is not None:
            problems.append(found)
    if description is not None and len(description) > MAX_DESCRIPTION:
        problems.append(
            Problem(
                "description",
                "too_long",
                f"the description is longer than {MAX_DESCRIPTION} characters",
            )
        )
    start, end = require_utc(starts_at, "start"), require_utc(ends_at, "end")
    if end <= start:
        problems.append(
            Problem(
                "end",
                "before_start",
                f"the window ends ({end:%Y-%m-%dT%H:%MZ}) before it starts "
                f"({start:%Y-%m-%dT%H:%MZ})",
            )
        )
    elif end - start > LONGEST:
        problems.append(
            Problem("end", "too_long", f"a maintenance window lasts at most {LONGEST.days} days")
        )
    if problems:
        raise InvalidInput(problems)


def exclusion_windows(
    records: Iterable[MaintenanceRecord], month: Month, scope: Scope
) -> tuple[MaintenanceWindow, ...]:
    """The SLA exclusion windows the records make for an incident of `scope` in `month`
    (rules in the module's docstring), by start."""
    windows = []
    for record in sorted(records, key=lambda r: (r.starts_at, r.id)):
        if record.cancelled or record.announced_at is None or not record.covers(scope):
            continue
        if record.window.overlap(month.window) is None:
            continue
        windows.append(
            MaintenanceWindow(
                start=record.starts_at,
                end=record.ends_at,
                announced_at=record.announced_at,
                description=f"{record.title} (maintenance record {record.id})",
            )
        )
    return tuple(windows)
