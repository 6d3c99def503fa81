"""API and intake tokens as stored: public id, owner or label, scope, hash of the secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from warroom.store.tables import api_tokens
from warroom.store.users import name_key


@dataclass(frozen=True)
class StoredToken:
    id: str
    name: str
    scope: str
    secret_hash: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


def _token(r: Any) -> StoredToken:  # a Row of api_tokens
    return StoredToken(
        id=r.id,
        name=r.name,
        scope=r.scope,
        secret_hash=r.secret_hash,
        created_at=r.created_at,
        created_by=r.created_by,
        expires_at=r.expires_at,
        last_used_at=r.last_used_at,
        revoked_at=r.revoked_at,
        revoked_by=r.revoked_by,
    )


def add(conn: Connection, token: StoredToken) -> None:
    conn.execute(
        insert(api_tokens).values(
            id=token.id,
            name=token.name,
            name_key=name_key(token.name),
            scope=token.scope,
            secret_hash=token.secret_hash,
            created_at=token.created_at,
            created_by=token.created_by,
            expires_at=token.expires_at,
        )
    )


def get(conn: Connection, token_id: str) -> StoredToken | None:
    row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
    return _token(row) if row else None


def all_tokens(conn: Connection, *, name: str | None = None) -> list[StoredToken]:
    """Every token (or those named `name`), oldest first."""
    query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
    if name is not None:
        query = query.where(api_tokens.c.name_key == name_key(name))
    return [_token(r) for r in conn.execute(query)]


def revoke(conn: Connection, token_id: str, *, at: datetime, by: str) -> None:
    conn.execute(
        update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at, revoked_by=by)
    )


def touch(conn: Connection, token_id: str, at: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))
