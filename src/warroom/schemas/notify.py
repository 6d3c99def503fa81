"""JSON shapes of customer notices, maintenance records and status-page subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from warroom.domain.maintenance import MaintenanceRecord
from warroom.schemas.base import Schema, UtcTime
from warroom.schemas.requests import Body, ScopeList, Text, Title

if TYPE_CHECKING:
    from warroom.services.notices import CustomerStatus

CustomerId = Annotated[str, Field(min_length=1, max_length=200)]


class NoticeSend(Body):
    audience: Literal["customer"]  # the public hears through status-page subscriptions
    customer_id: CustomerId | None = None  # only this customer
    again: bool = False  # also customers who got a notice of an earlier approval
    dry_run: bool = False  # build them and say what would go where; queue nothing


class NoticePreview(Schema):
    customer_id: str
    channel: str
    recipient: str
    subject: str | None


class NoticesQueued(Schema):
    incident_id: str
    revision: str  # the fingerprint of the approved figures the notices carry
    dry_run: bool
    messages: int
    customers: int
    already_queued: int
    without_contact: list[str]
    not_affected: int
    previews: list[NoticePreview] | None = None  # dry runs only


class NoticeRetry(Body):
    customer_id: CustomerId | None = None
    uncertain: bool = False  # also those that may have arrived (someone checked)


class NoticeRetried(Schema):
    incident_id: str
    messages: int


class NoticeStatusPublic(Schema):
    customer_id: str
    channel: str
    recipient: str
    state: str  # pending, sending, sent, failed, cancelled, uncertain
    attempts: int
    revision: str | None
    sent_at: UtcTime | None
    last_error: str | None


class NoticesStatusPublic(Schema):
    incident_id: str
    customers: dict[str, int]  # customers per state
    data: list[NoticeStatusPublic]
    count: int

    @classmethod
    def of(
        cls, incident_id: str, found: Sequence[CustomerStatus], customers: dict[str, int]
    ) -> NoticesStatusPublic:
        return cls(
            incident_id=incident_id,
            customers=customers,
            count=len(found),
            data=[
                NoticeStatusPublic(
                    customer_id=s.customer_id,
                    channel=s.channel,
                    recipient=s.recipient,
                    state=s.state,
                    attempts=s.attempts,
                    revision=s.revision,
                    sent_at=s.sent_at,
                    last_error=s.last_error,
                )
                for s in found
            ],
        )


class MaintenanceCreate(Body):
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    services: ScopeList | None = None  # null or absent = all
    regions: ScopeList | None = None
    description: Text | None = None
    announce: bool = False  # announce now: status page, subscribers
    announced_at: AwareDatetime | None = None  # announced then, outside warroom


class MaintenancePublic(Schema):
    id: int
    title: str
    description: str | None
    starts_at: UtcTime
    ends_at: UtcTime
    services: list[str] | None
    regions: list[str] | None
    announced_at: UtcTime | None
    cancelled_at: UtcTime | None
    state: str  # scheduled, announced, cancelled

    @classmethod
    def of(cls, record: MaintenanceRecord) -> MaintenancePublic:
        scope = record.scope
        state = (
            "cancelled" if record.cancelled else ("announced" if record.announced else "scheduled")
        )
        return cls(
            id=record.id,
            title=record.title,
            description=record.description,
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            services=list(scope.services) if scope.services is not None else None,
            regions=list(scope.regions) if scope.regions is not None else None,
            announced_at=record.announced_at,
            cancelled_at=record.cancelled_at,
            state=state,
        )


class MaintenanceList(Schema):
    data: list[MaintenancePublic]
    count: int


class SubscriptionCreate(Body):
    """An email address (a confirmation email follows) or a webhook URL (active at once);
    services and regions to follow (null or absent: all)."""

    email: Annotated[str, Field(min_length=3, max_length=254)] | None = None
    webhook_url: Annotated[str, Field(min_length=8, max_length=2000)] | None = None
    services: ScopeList | None = None
    regions: ScopeList | None = None

    @model_validator(mode="after")
    def _one_address(self) -> SubscriptionCreate:
        if (self.email is None) == (self.webhook_url is None):
            raise ValueError("give either email or webhook_url")
        return self


class SubscriptionPublic(Schema):
    channel: str
    state: str  # pending (email: confirm by the link sent) or active (webhook)
    id: str | None = None  # webhook: the subscription
    secret: str | None = None  # webhook: verifies Warroom-Signature; shown this once
    unsubscribe_token: str | None = None  # webhook: POST .../unsubscribe?token=...
