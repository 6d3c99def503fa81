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
from warroom.domain.text import text_problem
from warroom.domain.timeline import EntryKind, TimelineEntry, first_of, in_order
from warroom.domain.window import TimeWindow, iso_z, require_utc

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

    def public_entries(self) -> list[TimelineEntry]:
        """The entries anyone may read: the status page's updates."""
        return [e for e in self.timeline if e.audience is Audience.PUBLIC]

    def public_entries_since(self, before: Sequence[TimelineEntry]) -> list[TimelineEntry]:
        """Public entries that are not among `before` (the public entries of an earlier
        state): what a change made public, which status-page subscribers hear of."""
        seen = {(e.at, e.kind, e.text) for e in before}
        return [e for e in self.public_entries() if (e.at, e.kind, e.text) not in seen]

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

    def change_status(
        self,
        new: Status,
        *,
        at: datetime,
        by: str | None,
        text: str | None = None,
        audience: Audience = Audience.INTERNAL,
    ) -> TimelineEntry:
        """Move to `new` if the lifecycle allows it; record the change on the timeline."""
        check_transition(self.status, new)
        old = self.status
        self.status = new
        kind = _STATUS_ENTRY_KIND.get(new, EntryKind.UPDATE)
        message = text or f"Status changed from {old.value} to {new.value}"
        return self.add_entry(
            TimelineEntry(at=at, kind=kind, text=message, author=by, audience=audience)
        )

    def reopen(self, new: Status, *, at: datetime, by: str | None, reason: str) -> TimelineEntry:
        check_reopen(self.status, new, reason)
        old = self.status
        self.status = new
        return self.add_entry(
            TimelineEntry(
                at=at,
                kind=EntryKind.UPDATE,
                text=f"Incident reopened ({old.value} -> {new.value}): {reason.strip()}",
                author=by,
            )
        )

    def assign(self, role: Role, person: str | None) -> None:
        if person is None or not person.strip():
            self.roles.pop(role, None)
        else:
            self.roles[role] = person.strip()

    def add_action(
        self,
        title: str,
        *,
        owner: str | None = None,
        due: date | None = None,
        status: ActionStatus = ActionStatus.OPEN,
        link: str | None = None,
        audience: Audience = Audience.INTERNAL,
    ) -> CorrectiveAction:
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
        """What makes this incident contradict itself or unstorable (checked on save)."""
        return [*timeline_problems(self.timeline, self.status), *text_problems(self)]


def impact_window(timeline: Sequence[TimelineEntry]) -> TimeWindow | None:
    """From the first impact_started (else first detected) entry to the first resolved one."""
    start = first_of(timeline, EntryKind.IMPACT_STARTED) or first_of(timeline, EntryKind.DETECTED)
    end = first_of(timeline, EntryKind.RESOLVED)
    if start is None or end is None or end.at <= start.at:
        return None
    return TimeWindow(start.at, end.at)


def timeline_problems(timeline: Sequence[TimelineEntry], status: Status) -> list[Problem]:
    """What makes a timeline contradict itself or its status; fields name the entry
    (`timeline[3].at`, by position in `timeline`) so a file's line can be found."""
    problems = [
        Problem(field=f"timeline[{index}].at", code=code, message=message)
        for index, code, message in timeline_order_problems(timeline)
    ]
    resolved = first_of(timeline, EntryKind.RESOLVED)
    if status in (Status.RESOLVED, Status.CLOSED) and resolved is None:
        problems.append(
            Problem(
                field="status",
                code="illegal_status",
                message=f"status {status.value!r} needs a 'resolved' timeline entry",
            )
        )
    return problems


def timeline_order_problems(timeline: Sequence[TimelineEntry]) -> list[tuple[int, str, str]]:
    """Milestones out of order, as (position of the offending entry, code, message).

    The metrics run from one milestone to the next, so an order that makes one of them
    negative is refused: a trigger after the first detection, a declaration,
    identification or mitigation before it, a resolution before impact started.
    """

    def first(kind: EntryKind) -> int | None:
        found = first_of(timeline, kind)
        return None if found is None else next(i for i, e in enumerate(timeline) if e is found)

    def when(index: int) -> str:  # to the second: messages are read by people
        return iso_z(timeline[index].at, timespec="seconds")

    found: list[tuple[int, str, str]] = []
    detected = first(EntryKind.DETECTED)
    trigger = first(EntryKind.TRIGGER)
    if (
        detected is not None
        and trigger is not None
        and timeline[trigger].at > timeline[detected].at
    ):
        found.append(
            (
                trigger,
                "trigger_after_detection",
                f"the trigger ({when(trigger)}) is after the first detection "
                f"({when(detected)}); a trigger comes before it is detected",
            )
        )
    if detected is not None:
        for kind in (EntryKind.DECLARED, EntryKind.IDENTIFIED, EntryKind.MITIGATED):
            index = first(kind)
            if index is not None and timeline[index].at < timeline[detected].at:
                found.append(
                    (
                        index,
                        f"{kind.value}_before_detection",
                        f"the first {kind.value} entry ({when(index)}) is "
                        f"before the first detection ({when(detected)})",
                    )
                )
    start = first(EntryKind.IMPACT_STARTED)
    start = detected if start is None else start
    end = first(EntryKind.RESOLVED)
    if start is not None and end is not None and timeline[end].at < timeline[start].at:
        found.append(
            (
                end,
                "resolved_before_start",
                f"the first resolved entry ({when(end)}) is before the start "
                f"of impact ({when(start)})",
            )
        )
    return sorted(found)


def text_problems(incident: Incident) -> list[Problem]:
    """People's text that cannot be stored (NUL characters), by field."""
    fields: list[tuple[str, str | None]] = [
        ("title", incident.title),
        ("severity", incident.severity),
        ("data_loss", incident.data_loss),
        ("summary", incident.summary),
        ("public_summary", incident.public_summary),
        ("root_cause", incident.root_cause),
        ("public_root_cause", incident.public_root_cause),
    ]
    fields += [(f"roles.{role.value}", person) for role, person in incident.roles.items()]
    fields += [
        (f"contributing_factors[{i}]", f) for i, f in enumerate(incident.contributing_factors)
    ]
    fields += [
        (f"scope.{kind}[{i}]", value)
        for kind, values in (
            ("regions", incident.scope.regions),
            ("services", incident.scope.services),
        )
        for i, value in enumerate(values or ())
    ]
    for i, entry in enumerate(incident.timeline):
        fields += [(f"timeline[{i}].text", entry.text), (f"timeline[{i}].author", entry.author)]
    for i, action in enumerate(incident.actions):
        fields += [
            (f"actions[{i}].title", action.title),
            (f"actions[{i}].owner", action.owner),
            (f"actions[{i}].link", action.link),
        ]
    return [p for field, value in fields if (p := text_problem(field, value)) is not None]


def check_consistent(incident: Incident, *, before: Sequence[Problem] = ()) -> None:
    """Refuse an incident that contradicts itself; with `before` (the problems it had
    before a change), only the problems the change brought, so that an incident stored
    by an older warroom can still be worked on."""
    known = {(p.field, p.code) for p in before}
    problems = [p for p in incident.consistency_problems() if (p.field, p.code) not in known]
    if problems:
        raise InvalidInput(problems)
