"""Signing in to the web pages: sessions that expire, and sign-in attempts that are limited.

A session id is 32 random bytes, given to the browser once (its cookie) and stored only
as a SHA-256 hash, with the person, its absolute expiry, when it was last used (an idle
session expires too) and the CSRF secret that each of its forms sends back.

Failed sign-ins are stored (so every server process counts them alike); once a name, or
a client address, has failed `attempts` times (an address: four times as many) within
`window`, further tries are refused until the oldest of those failures leaves the window,
whatever the password. A success clears the name's failures.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from warroom.domain.errors import PermissionDenied, WarroomError
from warroom.services import credentials
from warroom.services.access import record
from warroom.services.context import Context
from warroom.store import sessions as store
from warroom.store.sessions import StoredSession

# how often a session's "last seen" is written: not on every request
TOUCH_EVERY = timedelta(minutes=1)


class TooManyAttempts(WarroomError):
    """Sign-in refused by the rate limit, before any password is checked."""

    code = "rate_limited"


@dataclass(frozen=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=12)  # absolute: sign in again after it
    idle: timedelta = timedelta(minutes=60)  # unused for this long: expired
    attempts: int = 5  # failed sign-ins per name within `window` (per address: 4x)
    window: timedelta = timedelta(minutes=15)

    @property
    def client_attempts(self) -> int:
        return self.attempts * 4


@dataclass(frozen=True)
class WebSession:
    """A signed-in session: the person (as registered), the CSRF secret, the expiry."""

    name: str
    csrf_secret: str
    expires_at: datetime
    token: str  # the cookie's value (only ever given to the person's own browser)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def sign_in(
    ctx: Context, name: str, password: str, *, client: str, policy: SessionPolicy
) -> WebSession:
    """A new session for `name` when the password is theirs; PermissionDenied (the same
    for every wrong name or password) or TooManyAttempts otherwise."""
    now = ctx.now()
    since = now - policy.window
    with ctx.db.reading() as conn:
        by_name, by_client = store.failures_since(conn, since, name=name, client=client)
        if by_name >= policy.attempts or by_client >= policy.client_attempts:
            oldest = store.oldest_failure_since(conn, since, name=name, client=client)
            wait = (oldest + policy.window - now) if oldest else policy.window
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            raise TooManyAttempts(
                f"too many failed sign-ins for this name or from this address; try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}"
            )
    try:
        registered = credentials.verify_password(ctx, name, password)
    except PermissionDenied:

        def failed(conn: Connection) -> None:
            store.prune_failures(conn, since)
            store.add_failure(conn, at=now, name=name, client=client)

        ctx.db.write(failed)
        raise
    token = secrets.token_urlsafe(32)
    session = StoredSession(
        id_hash=hash_token(token),
        name=registered,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.lifetime,
        csrf_secret=secrets.token_urlsafe(32),
    )

    def work(conn: Connection) -> None:
        store.remove_expired(conn, now=now, idle_since=now - policy.idle)
        store.clear_failures(conn, registered)
        store.add(conn, session)
        record(
            conn,
            ctx,
            registered,
            action="user.sign_in",
            entity_type="user",
            entity_id=registered,
            changes={"expires_at": session.expires_at.isoformat()},
        )

    ctx.db.write(work)
    return WebSession(registered, session.csrf_secret, session.expires_at, token)


def resume(ctx: Context, token: str, *, policy: SessionPolicy) -> WebSession | None:
    """The session a cookie names, while it is neither expired nor idle for too long."""
    if not token or len(token) > 200:
        return None
    now = ctx.now()
    id_hash = hash_token(token)
    with ctx.db.reading() as conn:
        found = store.get(conn, id_hash)
    if found is None:
        return None
    if found.expires_at <= now or found.last_seen_at + policy.idle <= now:
        ctx.db.write(lambda conn: store.remove(conn, id_hash))
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        ctx.db.write(lambda conn: store.touch(conn, id_hash, now))
    return WebSession(found.name, found.csrf_secret, found.expires_at, token)


def sign_out(ctx: Context, token: str) -> None:
    id_hash = hash_token(token)
    ctx.db.write(lambda conn: store.remove(conn, id_hash))


def csrf_matches(session_secret: str, sent: str | None) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(session_secret.encode(), (sent or "").encode())
