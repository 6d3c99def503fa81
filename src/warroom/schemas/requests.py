"""JSON bodies the API accepts: strict shapes with bounds, checked before any service runs.

Unknown fields are refused (a typo must not be silently ignored); texts and lists are
bounded; times carry a UTC offset; choices are the domain's enums. The services then
apply the rules (lifecycle, consistency), so a body that passes here can still be refused
with a 422 naming the field, or a 409.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from warroom.domain.assessment import ReviewRole
from warroom.domain.audience import Audience
from warroom.domain.incident import ActionStatus, Classification, Role
from warroom.domain.lifecycle import Status
from warroom.domain.timeline import EntryKind
from warroom.formats.sources_file import NAME_PATTERN

Title = Annotated[str, Field(min_length=1, max_length=500)]
Text = Annotated[str, Field(min_length=1, max_length=10_000)]
LongText = Annotated[str, Field(max_length=50_000)]
PersonName = Annotated[str, Field(min_length=1, max_length=200)]
Severity = Annotated[str, Field(min_length=1, max_length=16)]
ScopeItem = Annotated[str, Field(min_length=1, max_length=100)]
ScopeList = Annotated[list[ScopeItem], Field(max_length=200)]
SourceName = Annotated[str, Field(pattern=NAME_PATTERN)]
Link = Annotated[str, Field(min_length=1, max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IncidentCreate(Body):
    title: Title
    severity: Severity
    commander: PersonName | None = None
    detected_at: AwareDatetime | None = None  # default now; the ID carries its date
    regions: ScopeList | None = None  # null or absent = all
    services: ScopeList | None = None
    classification: Classification = Classification.INTERNAL
    status: Status = Status.INVESTIGATING  # declared, triage or investigating
    description: Text | None = None  # text of the detected entry


class IncidentUpdate(Body):
    """Fields to change; a field left out stays as it is. For regions and services,
    null means all."""

    title: Title | None = None
    severity: Severity | None = None
    classification: Classification | None = None
    regions: ScopeList | None = None
    services: ScopeList | None = None
    data_loss: LongText | None = None
    summary: LongText | None = None
    public_summary: LongText | None = None
    root_cause: LongText | None = None
    public_root_cause: LongText | None = None
    contributing_factors: Annotated[list[Text], Field(max_length=100)] | None = None


class StatusChange(Body):
    status: Status
    message: Text | None = None  # timeline text for the change
    at: AwareDatetime | None = None  # default now
    public: bool = False  # show the update on the status page and in customer notices


class Reopen(Body):
    status: Status = Status.INVESTIGATING  # investigating, identified or monitoring
    reason: Text
    at: AwareDatetime | None = None


class Assignment(Body):
    person: PersonName | None  # null unassigns
    role: Role = Role.COMMANDER


class TimelineEntryCreate(Body):
    text: Text
    kind: EntryKind = EntryKind.UPDATE
    at: AwareDatetime | None = None
    audience: Audience = Audience.INTERNAL


class ActionCreate(Body):
    title: Title
    owner: PersonName | None = None
    due: date | None = None
    status: ActionStatus = ActionStatus.OPEN
    link: Link | None = None
    audience: Audience = Audience.INTERNAL


class ActionUpdate(Body):
    """Fields to change; null clears owner, due and link."""

    title: Title | None = None
    owner: PersonName | None = None
    due: date | None = None
    status: ActionStatus | None = None
    link: Link | None = None
    audience: Audience | None = None


class ImpactRunCreate(Body):
    """Names from WARROOM_SOURCES_FILE: the request log, and optionally the customer
    registry (gives the share of the base) and the SLA policy (the down-minute rule)."""

    source: SourceName
    customers: SourceName | None = None
    policy: SourceName | None = None


class SlaAssess(Body):
    customers: SourceName
    policy: SourceName
    submit: bool = False  # send it to legal and finance right away


class Approval(Body):
    role: ReviewRole
    comment: Text | None = None
    fingerprint: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class ChangeRequest(Body):
    role: ReviewRole
    comment: Text


class Publish(Body):
    audience: Audience = Audience.INTERNAL
    customer: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    prepared_by: PersonName | None = None
