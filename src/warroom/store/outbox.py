"""The outbox as stored: messages queued under a unique key, claimed one at a time.

States of a message:

    pending ──claim──▶ sending ──▶ sent
       ▲                  │ ├────▶ failed      (permanent failure, or out of tries)
       └──temporary───────┘ ├────▶ cancelled   (its reason to be sent went away)
                            └────▶ uncertain   (its worker died while sending it, or no
                                               answer came after it went out)

Claiming is atomic as for jobs (`store.jobs`): PostgreSQL locks the candidate row with
``FOR UPDATE SKIP LOCKED``; SQLite's write transaction holds the whole database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from warroom.store.tables import outbox

PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED, CANCELLED, UNCERTAIN = "failed", "cancelled", "uncertain"
STATES = (PENDING, SENDING, SENT, FAILED, CANCELLED, UNCERTAIN)
CHUNK = 500  # rows per INSERT or IN (...) list


@dataclass(frozen=True)
class Message:
    """A message to queue."""

    key: str  # unique: the same key is never queued twice
    kind: str
    channel: str
    recipient: str  # email addresses joined with ";", or a URL
    body: str
    message_id: str
    incident_id: str | None = None
    customer_id: str | None = None
    subscriber_id: str | None = None
    revision: str | None = None
    subject: str | None = None
    body_html: str | None = None


@dataclass(frozen=True)
class Stored:
    """A message as stored, with where its delivery stands."""

    id: int
    message: Message
    state: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    worker: str | None
    created_at: datetime
    created_by: str
    sent_at: datetime | None
    last_error: str | None


_MESSAGE_COLUMNS = (
    "key",
    "kind",
    "channel",
    "recipient",
    "body",
    "message_id",
    "incident_id",
    "customer_id",
    "subscriber_id",
    "revision",
    "subject",
    "body_html",
)


def _stored(row: Any) -> Stored:
    return Stored(
        id=row.id,
        message=Message(**{c: getattr(row, c) for c in _MESSAGE_COLUMNS}),
        state=row.state,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        next_attempt_at=row.next_attempt_at,
        lease_until=row.lease_until,
        worker=row.worker,
        created_at=row.created_at,
        created_by=row.created_by,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    found = iter(items)
    while batch := list(islice(found, size)):
        yield batch


def add_many(
    conn: Connection,
    messages: Iterable[Message],
    *,
    now: datetime,
    created_by: str,
    max_attempts: int,
) -> int:
    """Queue messages (their keys must be new); returns how many."""
    count = 0
    for batch in chunks(messages):
        conn.execute(
            insert(outbox),
            [
                {
                    **{c: getattr(m, c) for c in _MESSAGE_COLUMNS},
                    "state": PENDING,
                    "attempts": 0,
                    "max_attempts": max_attempts,
                    "next_attempt_at": now,
                    "created_at": now,
                    "created_by": created_by,
                }
                for m in batch
            ],
        )
        count += len(batch)
    return count


def existing_keys(conn: Connection, keys: Iterable[str]) -> dict[str, tuple[int, str]]:
    """key -> (id, state) of the messages already queued under these keys."""
    found: dict[str, tuple[int, str]] = {}
    for batch in chunks(keys):
        rows = conn.execute(
            select(outbox.c.key, outbox.c.id, outbox.c.state).where(outbox.c.key.in_(batch))
        )
        found.update({row.key: (row.id, row.state) for row in rows})
    return found


def get(conn: Connection, message_id: int) -> Stored | None:
    row = conn.execute(select(outbox).where(outbox.c.id == message_id)).first()
    return _stored(row) if row else None


def next_due(
    conn: Connection, now: datetime, channels: Sequence[str] = ("email", "webhook")
) -> Stored | None:
    """The pending message of `channels` due soonest (locked for this transaction)."""
    row = conn.execute(
        select(outbox)
        .where(
            outbox.c.state == PENDING,
            outbox.c.next_attempt_at <= now,
            outbox.c.channel.in_(channels),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    return _stored(row) if row else None


def next_attempt(conn: Connection) -> datetime | None:
    """When the next pending message is due (None: none is pending)."""
    found: datetime | None = conn.execute(
        select(func.min(outbox.c.next_attempt_at)).where(outbox.c.state == PENDING)
    ).scalar()
    return found


def claim(conn: Connection, message_id: int, *, worker: str, lease_until: datetime) -> None:
    """From pending to sending, one more try, under `worker`'s lease."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(
            state=SENDING, attempts=outbox.c.attempts + 1, worker=worker, lease_until=lease_until
        )
    )


def settle(
    conn: Connection,
    message_id: int,
    *,
    worker: str,
    state: str,
    error: str | None = None,
    sent_at: datetime | None = None,
    next_attempt_at: datetime | None = None,
) -> bool:
    """The outcome of `worker`'s try. Also from uncertain: a worker that outlived its
    lease knows better than the one that gave up on it."""
    values: dict[str, Any] = {"state": state, "lease_until": None, "last_error": error}
    if sent_at is not None:
        values["sent_at"] = sent_at
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    result = conn.execute(
        update(outbox)
        .where(
            outbox.c.id == message_id,
            outbox.c.worker == worker,
            outbox.c.state.in_((SENDING, UNCERTAIN)),
        )
        .values(**values)
    )
    return result.rowcount == 1


def cancel(conn: Connection, message_id: int, *, reason: str) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(state=CANCELLED, lease_until=None, last_error=reason)
    )


def orphaned(conn: Connection, now: datetime) -> list[Stored]:
    """Messages being sent by a worker whose lease ran out (it died, or hangs)."""
    rows = conn.execute(
        select(outbox)
        .where(outbox.c.state == SENDING, outbox.c.lease_until < now)
        .with_for_update(skip_locked=True)
    )
    return [_stored(row) for row in rows]


def mark_uncertain(conn: Connection, message_id: int, *, error: str) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.state == SENDING)
        .values(state=UNCERTAIN, lease_until=None, last_error=error)
    )


def of_incident(conn: Connection, incident_id: str, *, kind: str) -> list[Stored]:
    rows = conn.execute(
        select(outbox)
        .where(outbox.c.incident_id == incident_id, outbox.c.kind == kind)
        .order_by(outbox.c.customer_id, outbox.c.id)
    )
    return [_stored(row) for row in rows]


def customers_notified(
    conn: Connection, incident_id: str, *, kind: str, other_than: str
) -> dict[str, str]:
    """customer_id -> revision of messages of `kind` queued under another revision than
    `other_than` (and not cancelled or failed)."""
    rows = conn.execute(
        select(outbox.c.customer_id, outbox.c.revision).where(
            outbox.c.incident_id == incident_id,
            outbox.c.kind == kind,
            outbox.c.revision != other_than,
            outbox.c.state.notin_((CANCELLED, FAILED)),
        )
    )
    return {row.customer_id: row.revision for row in rows}


def requeue(conn: Connection, message_ids: Sequence[int], *, now: datetime) -> int:
    """Back to pending with a fresh set of tries (failed, cancelled or uncertain ones)."""
    count = 0
    for batch in chunks(message_ids):
        count += conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(batch), outbox.c.state.in_((FAILED, CANCELLED, UNCERTAIN)))
            .values(state=PENDING, attempts=0, next_attempt_at=now, lease_until=None, worker=None)
        ).rowcount
    return count


def counts(conn: Connection) -> dict[str, int]:
    """How many messages are in each state."""
    rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
    found = dict.fromkeys(STATES, 0)
    found.update({state: int(n) for state, n in rows})
    return found


def pending_for_subscriber(conn: Connection, subscriber_id: str) -> list[int]:
    return list(
        conn.execute(
            select(outbox.c.id).where(
                and_(outbox.c.subscriber_id == subscriber_id, outbox.c.state == PENDING)
            )
        ).scalars()
    )
