"""The incident aggregate: identity, severity, status, roles, scope, timeline and learning."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, NotFound, Problem
from warroom.domain.lifecycle import Status, check_reopen, check_transition
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind, TimelineEntry, first_of, in_order
from warroom.domain.window import TimeWindow, require_utc

ID_PATTERN = re.compile(r"^INC-(\d{4})-(\d{2})(\d{2})-(\d{3,})$")


def make_incident_id(detected_at: datetime, sequence: int) -> str:
    """INC-YYYY-MMDD-NNN: the UTC date of detection and that day's sequence number."""
    day = require_utc(detected_at)
    if sequence < 1:
        raise ValueError("incident sequence numbers start at 1")
    return f"INC-{day:%Y}-{day:%m%d}-{sequence:03d}"


def parse_incident_id(value: str) -> tuple[date, int]:
    """The detection date and sequence an ID encodes; ValueError when it is not one."""
    match = ID_PATTERN.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an incident ID (expected INC-YYYY-MMDD-NNN)")
    year, month, day, seq = (int(g) for g in match.groups())
    return date(year, month, day), seq


class Classification(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"


class Role(StrEnum):
    COMMANDER = "commander"
    SCRIBE = "scribe"
    COMMUNICATIONS = "communications"  # communications lead
    TECHNICAL_LEAD = "technical_lead"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CorrectiveAction:
    number: int  # 1, 2, ... within the incident; stable
    title: str
    owner: str | None = None
    due: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    link: str | None = None
    audience: Audience = Audience.INTERNAL  # public actions appear in customer notices


# Status changes leave a timeline entry of the kind the metrics read.
_STATUS_ENTRY_KIND = {
    Status.IDENTIFIED: EntryKind.IDENTIFIED,
    Status.MONITORING: EntryKind.MITIGATED,
    Status.RESOLVED: EntryKind.RESOLVED,
}


@dataclass
class Incident:
    id: str
    title: str
    severity: str
    status: Status = Status.INVESTIGATING
    classification: Classification = Classification.INTERNAL
    roles: dict[Role, str] = field(default_factory=dict)
    scope: Scope = field(default_factory=Scope)
    data_loss: str | None = None
    summary: str | None = None  # the executive summary people wrote; None = generate it
    public_summary: str | None = None  # what customers and the status page are told
    timeline: list[TimelineEntry] = field(default_factory=list)
    root_cause: str | None = None
    public_root_cause: str | None = None  # the customer-safe wording of the root cause
    contributing_factors: list[str] = field(default_factory=list)
    actions: list[CorrectiveAction] = field(default_factory=list)

    # -- reading -----------------------------------------------------------------
    @property
    def commander(self) -> str | None:
        return self.roles.get(Role.COMMANDER)

    def ordered_timeline(self) -> list[TimelineEntry]:
        return in_order(self.timeline)

    def detected_at(self) -> datetime | None:
        entry = first_of(self.timeline, EntryKind.DETECTED)
        return entry.at if entry else None

    def impact_window(self) -> TimeWindow | None:
        return impact_window(self.timeline)

    def action(self, number: int) -> CorrectiveAction:
        for action in self.actions:
            if action.number == number:
                return action
        raise NotFound(f"incident {self.id} has no corrective action {number}")

    # -- changing ----------------------------------------------------------------
    def add_entry(self, entry: TimelineEntry) -> TimelineEntry:
        self.timeline.append(entry)
        return entry

    def change_status(self, new: Status, *, at: datetime, by: str | None,
                      text: str | None = None,
                      audience: Audience = Audience.INTERNAL) -> TimelineEntry:
        """Move to `new` if the lifecycle allows it; record the change on the timeline."""
        check_transition(self.status, new)
        old = self.status
        self.status = new
        kind = _STATUS_ENTRY_KIND.get(new, EntryKind.UPDATE)
        message = text or f"Status changed from {old.value} to {new.value}"
        return self.add_entry(TimelineEntry(at=at, kind=kind, text=message, author=by,
                                            audience=audience))

    def reopen(self, new: Status, *, at: datetime, by: str | None, reason: str) -> TimelineEntry:
        check_reopen(self.status, new, reason)
        old = self.status
        self.status = new
        return self.add_entry(TimelineEntry(
            at=at, kind=EntryKind.UPDATE,
            text=f"Incident reopened ({old.value} -> {new.value}): {reason.strip()}", author=by))

    def assign(self, role: Role, person: str | None) -> None:
        if person is None or not person.strip():
            self.roles.pop(role, None)
        else:
            self.roles[role] = person.strip()

    def add_action(self, title: str, *, owner: str | None = None, due: date | None = None,
                   status: ActionStatus = ActionStatus.OPEN, link: str | None = None,
                   audience: Audience = Audience.INTERNAL) -> CorrectiveAction:
        number = max((a.number for a in self.actions), default=0) + 1
        action = CorrectiveAction(number, title, owner, due, status, link, audience)
        self.actions.append(action)
        return action

    def update_action(self, number: int, **changes: object) -> CorrectiveAction:
        current = self.action(number)
        updated = replace(current, **changes)  # type: ignore[arg-type]
        self.actions[self.actions.index(current)] = updated
        return updated

    def consistency_problems(self) -> list[Problem]:
        """What makes this incident contradict itself (checked on import and on save)."""
        return timeline_problems(self.timeline, self.status)


def impact_window(timeline: Sequence[TimelineEntry]) -> TimeWindow | None:
    """From the first impact_started (else first detected) entry to the first resolved one."""
    start = first_of(timeline, EntryKind.IMPACT_STARTED) or first_of(timeline, EntryKind.DETECTED)
    end = first_of(timeline, EntryKind.RESOLVED)
    if start is None or end is None or end.at <= start.at:
        return None
    return TimeWindow(start.at, end.at)


def timeline_problems(timeline: Sequence[TimelineEntry],
                      status: Status) -> list[Problem]:
    problems = []
    start = first_of(timeline, EntryKind.IMPACT_STARTED) or first_of(timeline, EntryKind.DETECTED)
    end = first_of(timeline, EntryKind.RESOLVED)
    if start and end and end.at < start.at:
        problems.append(Problem(
            field="timeline", code="resolved_before_start",
            message=(f"the first resolved entry ({end.at:%Y-%m-%dT%H:%M:%SZ}) is before "
                     f"the start of impact ({start.at:%Y-%m-%dT%H:%M:%SZ})")))
    if status in (Status.RESOLVED, Status.CLOSED) and end is None:
        problems.append(Problem(
            field="status", code="illegal_status",
            message=f"status {status.value!r} needs a 'resolved' timeline entry"))
    return problems


def check_consistent(incident: Incident) -> None:
    problems = incident.consistency_problems()
    if problems:
        raise InvalidInput(problems)
