"""JSON shapes of alerts, change events and intake receipts (CLI `--json` and the API)."""

from __future__ import annotations

from warroom.schemas.base import Schema, UtcTime
from warroom.services.intake import AlertReceipt, ChangeReceipt
from warroom.store.intake import StoredAlert, StoredChange


class AlertPublic(Schema):
    source: str
    key: str
    fingerprint: str
    status: str
    name: str
    summary: str | None
    severity: str | None  # as the source said it
    routed_severity: str  # what the routing rules made of it
    service: str | None
    region: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: UtcTime
    ends_at: UtcTime | None
    generator_url: str | None
    group_key: str
    incident_id: str | None
    first_received_at: UtcTime
    last_received_at: UtcTime
    deliveries: int

    @classmethod
    def of(cls, alert: StoredAlert) -> AlertPublic:
        return cls(
            source=alert.source,
            key=alert.key,
            fingerprint=alert.fingerprint,
            status=alert.status,
            name=alert.name,
            summary=alert.summary,
            severity=alert.severity,
            routed_severity=alert.routed_severity,
            service=alert.service,
            region=alert.region,
            labels=alert.labels,
            annotations=alert.annotations,
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            generator_url=alert.generator_url,
            group_key=alert.group_key,
            incident_id=alert.incident_id,
            first_received_at=alert.first_received_at,
            last_received_at=alert.last_received_at,
            deliveries=alert.deliveries,
        )


class AlertsPublic(Schema):
    data: list[AlertPublic]
    count: int


class AlertReceiptPublic(Schema):
    source: str
    key: str
    outcome: str  # created, updated, duplicate, stale
    incident_id: str | None
    opened: bool

    @classmethod
    def of(cls, receipt: AlertReceipt) -> AlertReceiptPublic:
        return cls(
            source=receipt.source,
            key=receipt.key,
            outcome=receipt.outcome.value,
            incident_id=receipt.incident_id,
            opened=receipt.opened,
        )


class IntakeReceiptPublic(Schema):
    """What the intake API answers: every alert of the delivery and what became of it."""

    received: int
    alerts: list[AlertReceiptPublic]


class ChangePublic(Schema):
    key: str
    kind: str
    at: UtcTime
    summary: str
    service: str | None
    region: str | None
    source: str | None
    url: str | None
    author: str | None
    received_at: UtcTime

    @classmethod
    def of(cls, stored: StoredChange) -> ChangePublic:
        change = stored.change
        return cls(
            key=change.key,
            kind=change.kind.value,
            at=change.at,
            summary=change.summary,
            service=change.service,
            region=change.region,
            source=change.source,
            url=change.url,
            author=change.author,
            received_at=stored.received_at,
        )


class ChangesPublic(Schema):
    data: list[ChangePublic]
    count: int


class ChangeReceiptPublic(Schema):
    key: str
    outcome: str
    incidents: list[str]

    @classmethod
    def of(cls, receipt: ChangeReceipt) -> ChangeReceiptPublic:
        return cls(
            key=receipt.key, outcome=receipt.outcome.value, incidents=list(receipt.incidents)
        )
