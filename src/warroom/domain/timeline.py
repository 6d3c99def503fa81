"""Timeline entries: what happened when (UTC), who wrote it, and who may read it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from warroom.domain.audience import Audience
from warroom.domain.window import require_utc


class EntryKind(StrEnum):
    TRIGGER = "trigger"  # the change or event that started it
    IMPACT_STARTED = "impact_started"  # customers started to feel it (if known exactly)
    DETECTED = "detected"
    DECLARED = "declared"
    IDENTIFIED = "identified"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    UPDATE = "update"
    DECISION = "decision"
    CUSTOMER_COMMS = "customer_comms"
    NOTE = "note"
    CHANGE = "change"  # a deploy, configuration change or maintenance: a possible trigger


MAX_TEXT_LENGTH = 10_000


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: EntryKind
    text: str
    author: str | None = None
    audience: Audience = Audience.INTERNAL
    id: int | None = None  # assigned by the store; stable once saved

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", require_utc(self.at, "timeline time"))
        if not self.text.strip():
            raise ValueError("a timeline entry needs text")

    def with_id(self, entry_id: int) -> TimelineEntry:
        return replace(self, id=entry_id)


def first_of(entries: Sequence[TimelineEntry], kind: EntryKind) -> TimelineEntry | None:
    """The earliest entry of a kind (ties: the one recorded first)."""
    matching = [e for e in entries if e.kind == kind]
    return min(matching, key=lambda e: e.at) if matching else None


def in_order(entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """Entries by time; entries at the same time keep the order they were recorded in."""
    return sorted(entries, key=lambda e: e.at)
