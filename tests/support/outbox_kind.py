"""A kind of outbox message for the outbox's own tests: always wanted (unless its key is
in `UNWANTED`), sent as stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from warroom.notify import Outgoing
from warroom.services.outbox import Courier, Stored

UNWANTED: set[str] = set()
GONE: list[int] = []


def gate(conn: Connection, stored: Stored) -> str | None:
    return "not wanted any more" if stored.message.key in UNWANTED else None


def prepare(conn: Connection, stored: Stored, courier: Courier) -> Outgoing:
    m = stored.message
    return Outgoing(
        id=stored.id,
        kind=m.kind,
        channel=m.channel,
        recipients=tuple(m.recipient.split(";")),
        body=m.body,
        message_id=m.message_id,
        subject=m.subject,
    )


def gone(conn: Connection, stored: Stored, now: datetime) -> None:
    GONE.append(stored.id)
