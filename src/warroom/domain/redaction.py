"""What of an incident each audience may see. The one place that decides it.

Reports, notices and the status page are built only from these views, so a customer
version cannot show what the view left out: staff names, internal notes, internal
root cause wording, contributing factors, classification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from warroom.domain.audience import Audience
from warroom.domain.incident import Incident
from warroom.domain.metrics import IncidentMetrics, incident_metrics
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind
from warroom.domain.window import TimeWindow


@dataclass(frozen=True)
class EntryView:
    at: datetime
    kind: EntryKind
    text: str
    author: str | None  # only for staff audiences


@dataclass(frozen=True)
class ActionView:
    number: int
    title: str
    owner: str | None  # only for staff audiences
    due: date | None
    status: str
    link: str | None  # tickets are internal


@dataclass(frozen=True)
class IncidentView:
    audience: Audience
    id: str
    title: str
    severity: str
    status: str
    classification: str | None  # the banner of staff versions; None outside
    roles: dict[str, str]  # empty outside staff audiences
    scope: Scope
    data_loss: str | None  # staff only
    summary: str | None  # the people-written summary for this audience, if any
    root_cause: str | None
    contributing_factors: tuple[str, ...]
    timeline: tuple[EntryView, ...]
    actions: tuple[ActionView, ...]
    impact_window: TimeWindow | None
    metrics: IncidentMetrics | None  # response metrics are internal

    @property
    def is_staff(self) -> bool:
        return self.audience.may_see(Audience.INTERNAL)


def staff_names(incident: Incident) -> set[str]:
    """Every person named in the incident's fields (what outside versions must not show)."""
    names = set(incident.roles.values())
    names.update(e.author for e in incident.timeline if e.author)
    names.update(a.owner for a in incident.actions if a.owner)
    return names


def incident_view(incident: Incident, audience: Audience) -> IncidentView:
    staff = audience.may_see(Audience.INTERNAL)
    entries = tuple(
        EntryView(at=e.at, kind=e.kind, text=e.text, author=e.author if staff else None)
        for e in incident.ordered_timeline()
        if audience.may_see(e.audience)
    )
    shown = [
        a for a in sorted(incident.actions, key=lambda a: a.number) if audience.may_see(a.audience)
    ]
    # Outside audiences see their actions numbered 1..n: a gap would betray a hidden one.
    actions = tuple(
        ActionView(
            number=a.number if staff else position,
            title=a.title,
            owner=a.owner if staff else None,
            due=a.due,
            status=a.status.value,
            link=a.link if staff else None,
        )
        for position, a in enumerate(shown, start=1)
    )
    return IncidentView(
        audience=audience,
        id=incident.id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status.value,
        classification=incident.classification.value if staff else None,
        roles={r.value: p for r, p in incident.roles.items()} if staff else {},
        scope=incident.scope,
        data_loss=incident.data_loss if staff else None,  # people's words, may name anyone
        summary=incident.summary if staff else incident.public_summary,
        root_cause=incident.root_cause if staff else incident.public_root_cause,
        contributing_factors=tuple(incident.contributing_factors) if staff else (),
        timeline=entries,
        actions=actions,
        impact_window=incident.impact_window(),
        metrics=incident_metrics(incident.timeline) if staff else None,
    )
