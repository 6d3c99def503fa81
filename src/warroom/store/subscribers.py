"""Status-page subscribers, their link tokens (hashed) and subscribe attempts, as stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from warroom.domain.scope import Scope
from warroom.store.tables import subscribe_attempts, subscribers, subscription_tokens

PENDING, ACTIVE, UNSUBSCRIBED = "pending", "active", "unsubscribed"


@dataclass(frozen=True)
class Subscriber:
    id: str
    channel: str  # email | webhook
    address: str
    scope: Scope  # what they follow: None = every service / region
    state: str
    webhook_secret: str | None
    created_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None


def _subscriber(row: Any) -> Subscriber:
    return Subscriber(
        id=row.id,
        channel=row.channel,
        address=row.address,
        scope=Scope(
            regions=tuple(row.regions) if row.regions is not None else None,
            services=tuple(row.services) if row.services is not None else None,
        ),
        state=row.state,
        webhook_secret=row.webhook_secret,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        unsubscribed_at=row.unsubscribed_at,
    )


def add(conn: Connection, subscriber: Subscriber, *, address_key: str) -> None:
    scope = subscriber.scope
    conn.execute(
        insert(subscribers).values(
            id=subscriber.id,
            channel=subscriber.channel,
            address=subscriber.address,
            address_key=address_key,
            services=list(scope.services) if scope.services is not None else None,
            regions=list(scope.regions) if scope.regions is not None else None,
            state=subscriber.state,
            webhook_secret=subscriber.webhook_secret,
            created_at=subscriber.created_at,
        )
    )


def get(conn: Connection, subscriber_id: str) -> Subscriber | None:
    row = conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
    return _subscriber(row) if row else None


def state_of(conn: Connection, subscriber_id: str) -> str | None:
    found: str | None = conn.execute(
        select(subscribers.c.state).where(subscribers.c.id == subscriber_id)
    ).scalar()
    return found


def any_active(conn: Connection) -> bool:
    return (
        conn.execute(select(subscribers.c.id).where(subscribers.c.state == ACTIVE).limit(1)).first()
        is not None
    )


def active(conn: Connection, *, batch: int = 1000) -> Iterator[Subscriber]:
    """Every active subscriber, read a batch at a time (by ID)."""
    after = ""
    while True:
        rows = conn.execute(
            select(subscribers)
            .where(subscribers.c.state == ACTIVE, subscribers.c.id > after)
            .order_by(subscribers.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _subscriber(row)
        after = rows[-1].id


def listed(conn: Connection, *, limit: int = 1000, offset: int = 0) -> list[Subscriber]:
    rows = conn.execute(
        select(subscribers)
        .order_by(subscribers.c.created_at, subscribers.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_subscriber(row) for row in rows]


def set_state(conn: Connection, subscriber_id: str, state: str, *, now: datetime) -> None:
    values: dict[str, Any] = {"state": state}
    if state == ACTIVE:
        values["confirmed_at"] = now
    if state == UNSUBSCRIBED:
        values["unsubscribed_at"] = now
    conn.execute(update(subscribers).where(subscribers.c.id == subscriber_id).values(**values))


def replace_others(
    conn: Connection, subscriber: Subscriber, *, address_key: str, now: datetime
) -> list[str]:
    """Unsubscribe the address's other active subscriptions (one confirmed per email)."""
    ids = list(
        conn.execute(
            select(subscribers.c.id).where(
                subscribers.c.address_key == address_key,
                subscribers.c.channel == subscriber.channel,
                subscribers.c.state == ACTIVE,
                subscribers.c.id != subscriber.id,
            )
        ).scalars()
    )
    for other in ids:
        set_state(conn, other, UNSUBSCRIBED, now=now)
    return ids


# -- link tokens ----------------------------------------------------------------------------


def add_token(
    conn: Connection,
    *,
    token_hash: str,
    subscriber_id: str,
    purpose: str,
    now: datetime,
    expires_at: datetime | None,
) -> None:
    conn.execute(
        insert(subscription_tokens).values(
            token_hash=token_hash,
            subscriber_id=subscriber_id,
            purpose=purpose,
            created_at=now,
            expires_at=expires_at,
        )
    )


def token(conn: Connection, token_hash: str, purpose: str, now: datetime) -> str | None:
    """The subscriber a live token of `purpose` is for, or None."""
    row = conn.execute(
        select(subscription_tokens).where(
            subscription_tokens.c.token_hash == token_hash, subscription_tokens.c.purpose == purpose
        )
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    found: str = row.subscriber_id
    return found


def drop_tokens(conn: Connection, subscriber_id: str, purpose: str) -> None:
    conn.execute(
        delete(subscription_tokens).where(
            subscription_tokens.c.subscriber_id == subscriber_id,
            subscription_tokens.c.purpose == purpose,
        )
    )


# -- rate limits ----------------------------------------------------------------------------


def add_attempt(conn: Connection, *, at: datetime, client: str, address_key: str) -> None:
    conn.execute(insert(subscribe_attempts).values(at=at, client=client, address_key=address_key))


def attempts_since(
    conn: Connection, since: datetime, *, client: str | None = None, address_key: str | None = None
) -> int:
    query = (
        select(func.count()).select_from(subscribe_attempts).where(subscribe_attempts.c.at >= since)
    )
    if client is not None:
        query = query.where(subscribe_attempts.c.client == client)
    if address_key is not None:
        query = query.where(subscribe_attempts.c.address_key == address_key)
    return int(conn.execute(query).scalar() or 0)


def forget_attempts(conn: Connection, before: datetime) -> None:
    conn.execute(delete(subscribe_attempts).where(subscribe_attempts.c.at < before))
