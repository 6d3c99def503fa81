"""People and the roles they hold (legal, finance, commander, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from warroom.store.tables import users


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    created_at: datetime


def get(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return User(row.name, tuple(row.roles), row.created_at) if row else None


def all_users(conn: Connection) -> list[User]:
    return [User(r.name, tuple(r.roles), r.created_at)
            for r in conn.execute(select(users).order_by(users.c.name))]


def count(conn: Connection) -> int:
    return len(conn.execute(select(users.c.name)).all())


def add(conn: Connection, name: str, roles: tuple[str, ...], *, now: datetime) -> User:
    conn.execute(insert(users).values(name=name, roles=list(roles), created_at=now))
    return User(name, roles, now)


def set_roles(conn: Connection, name: str, roles: tuple[str, ...]) -> None:
    conn.execute(update(users).where(users.c.name == name).values(roles=list(roles)))
