"""Browser sessions (by the hash of their id) and failed sign-ins, for the web pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from warroom.store.tables import sessions, sign_in_failures
from warroom.store.users import name_key


@dataclass(frozen=True)
class StoredSession:
    id_hash: str
    name: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    csrf_secret: str


def add(conn: Connection, session: StoredSession) -> None:
    conn.execute(
        insert(sessions).values(
            id_hash=session.id_hash,
            name=session.name,
            name_key=name_key(session.name),
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            csrf_secret=session.csrf_secret,
        )
    )


def get(conn: Connection, id_hash: str) -> StoredSession | None:
    row = conn.execute(select(sessions).where(sessions.c.id_hash == id_hash)).first()
    if row is None:
        return None
    return StoredSession(
        id_hash=row.id_hash,
        name=row.name,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        csrf_secret=row.csrf_secret,
    )


def touch(conn: Connection, id_hash: str, now: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.id_hash == id_hash).values(last_seen_at=now))


def remove(conn: Connection, id_hash: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


def remove_expired(conn: Connection, *, now: datetime, idle_since: datetime) -> None:
    conn.execute(
        delete(sessions).where(
            (sessions.c.expires_at <= now) | (sessions.c.last_seen_at <= idle_since)
        )
    )


def failures_since(conn: Connection, since: datetime, *, name: str, client: str) -> tuple[int, int]:
    """Failed sign-ins since `since`: for this name, and from this client address."""
    by_name = conn.execute(
        select(func.count())
        .select_from(sign_in_failures)
        .where(sign_in_failures.c.at > since, sign_in_failures.c.name_key == name_key(name))
    ).scalar_one()
    by_client = conn.execute(
        select(func.count())
        .select_from(sign_in_failures)
        .where(sign_in_failures.c.at > since, sign_in_failures.c.client == client)
    ).scalar_one()
    return int(by_name), int(by_client)


def oldest_failure_since(
    conn: Connection, since: datetime, *, name: str, client: str
) -> datetime | None:
    found = conn.execute(
        select(func.min(sign_in_failures.c.at)).where(
            sign_in_failures.c.at > since,
            (sign_in_failures.c.name_key == name_key(name)) | (sign_in_failures.c.client == client),
        )
    ).scalar()
    return found if isinstance(found, datetime) else None


def add_failure(conn: Connection, *, at: datetime, name: str, client: str) -> None:
    conn.execute(
        insert(sign_in_failures).values(at=at, name_key=name_key(name)[:200], client=client[:64])
    )


def clear_failures(conn: Connection, name: str) -> None:
    conn.execute(delete(sign_in_failures).where(sign_in_failures.c.name_key == name_key(name)))


def prune_failures(conn: Connection, before: datetime) -> None:
    conn.execute(delete(sign_in_failures).where(sign_in_failures.c.at <= before))
