"""People, the roles they hold, and their password hashes; names match case-insensitively."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from warroom.store.tables import users


@dataclass(frozen=True)
class User:
    name: str  # as registered: how audit entries and approvals show the person
    roles: tuple[str, ...]
    created_at: datetime
    has_password: bool = False


def name_key(name: str) -> str:
    """How names are compared: "lee  LEGAL" is "Lee Legal"."""
    return " ".join(name.split()).casefold()


def _user(row: Any) -> User:  # a Row of users
    return User(row.name, tuple(row.roles), row.created_at, row.password_hash is not None)


def get(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(users).where(users.c.name_key == name_key(name))).first()
    return _user(row) if row else None


def password_hash(conn: Connection, name: str) -> str | None:
    value = conn.execute(
        select(users.c.password_hash).where(users.c.name_key == name_key(name))
    ).scalar()
    return str(value) if value is not None else None


def all_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(users).order_by(users.c.name_key))]


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def add(conn: Connection, name: str, roles: tuple[str, ...], *, now: datetime) -> User:
    conn.execute(
        insert(users).values(name=name, name_key=name_key(name), roles=list(roles), created_at=now)
    )
    return User(name, roles, now)


def set_roles(conn: Connection, name: str, roles: tuple[str, ...]) -> None:
    conn.execute(update(users).where(users.c.name_key == name_key(name)).values(roles=list(roles)))


def set_password_hash(conn: Connection, name: str, hashed: str | None) -> None:
    conn.execute(
        update(users).where(users.c.name_key == name_key(name)).values(password_hash=hashed)
    )
