"""API and intake tokens: create (shown once), list, revoke, and check a presented token.

A token reads ``wr_<id>_<secret>``: the id is public (lists and audit entries show it),
the secret is 256 random bits of which only a SHA-256 is stored. Tokens are long and
random, so a fast hash with a constant-time comparison is the right tool; argon2 is for
passwords people choose. An `api` token acts as its owner with the roles the owner holds
at the time of each request; an `intake` token stands for a monitoring system and may
only post alerts and change events (`domain.permissions.INTAKE_SCOPE_ACTIONS`).

A server keeps the intake tokens it found valid for `INTAKE_CACHE_TTL` (`TokenCache`):
monitoring systems post at machine rate, and reading the token on every delivery was a
third of the intake's work. An intake token revoked, or past its expiry date, therefore
stops working within that delay in every server process (expiry at once, in fact: it is
checked on every request). API tokens, which act as people, are read on every request,
so a revoked one stops at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Connection

from warroom.domain.errors import InvalidInput, NotFound, PermissionDenied, Problem
from warroom.domain.permissions import Action, allowed
from warroom.services.access import authorize, principal, record
from warroom.services.context import Context
from warroom.services.users import check_name
from warroom.store import tokens as store
from warroom.store import users as people
from warroom.store.database import Database
from warroom.store.tokens import StoredToken
from warroom.store.users import name_key

PREFIX = "wr_"
MAX_EXPIRY_DAYS = 3650
# last_used_at is written at most this often per token: a busy client must not turn
# every read into a write
TOUCH_EVERY = timedelta(minutes=1)
# an intake token found valid is trusted this long without reading it again (see above)
INTAKE_CACHE_TTL = timedelta(seconds=5)
_SHAPE = re.compile(r"^wr_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class Scope(StrEnum):
    API = "api"  # acts as its owner, with the owner's current roles
    INTAKE = "intake"  # a monitoring system: may only post alerts and change events


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of a token: everything but its secret."""

    id: str
    name: str
    scope: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: StoredToken) -> TokenInfo:
        return cls(
            token.id,
            token.name,
            token.scope,
            token.created_at,
            token.created_by,
            token.expires_at,
            token.last_used_at,
            token.revoked_at,
        )

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class Identity:
    """Who a valid presented token stands for."""

    token_id: str
    name: str
    scope: Scope


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_scope(value: str) -> Scope:
    try:
        return Scope(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            [Problem("scope", "bad_choice", f"unknown scope {value!r}; expected api or intake")]
        ) from None


def create(
    ctx: Context, name: str, *, scope: Scope = Scope.API, expires_days: int | None = None
) -> tuple[TokenInfo, str]:
    """A new token and its full text (shown once: only its hash is kept).

    For scope api, `name` is a registered person: anyone may create their own, an admin
    (TOKEN_MANAGE) anyone's. For scope intake, `name` labels the sending system and only
    an admin creates one."""
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise InvalidInput(
            [
                Problem(
                    "expires", "out_of_range", f"a token expires after 1 to {MAX_EXPIRY_DAYS} days"
                )
            ]
        )
    label = check_name(name)
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)

    def work(conn: Connection) -> TokenInfo:
        now = ctx.now()
        if scope is Scope.API:
            owner = people.get(conn, label)
            if owner is None:
                raise NotFound(f"no user {label}: an api token acts as a registered person")
            who = principal(conn, ctx)
            if not (who.registered and name_key(who.name) == name_key(owner.name)):
                who = authorize(conn, ctx, Action.TOKEN_MANAGE)
            else:
                who = authorize(conn, ctx, Action.INCIDENT_READ)  # registered, not intake
            holder = owner.name
        else:
            who = authorize(conn, ctx, Action.TOKEN_MANAGE)
            holder = label
        token = StoredToken(
            id=token_id,
            name=holder,
            scope=scope.value,
            secret_hash=_hash(secret),
            created_at=now,
            created_by=who.name,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
            last_used_at=None,
            revoked_at=None,
            revoked_by=None,
        )
        store.add(conn, token)
        record(
            conn,
            ctx,
            who,
            action="token.create",
            entity_type="token",
            entity_id=token_id,
            changes={
                "name": holder,
                "scope": scope.value,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        )
        return TokenInfo.of(token)

    info = ctx.db.write(work)
    return info, f"{PREFIX}{token_id}_{secret}"


def list_tokens(ctx: Context) -> list[TokenInfo]:
    """Every token for an admin; one's own api tokens for anyone else."""
    with ctx.db.reading() as conn:
        who = authorize(conn, ctx, Action.INCIDENT_READ)
        if allowed(Action.TOKEN_MANAGE, who.roles):
            found = store.all_tokens(conn)
        else:
            found = [t for t in store.all_tokens(conn, name=who.name) if t.scope == "api"]
        return [TokenInfo.of(t) for t in found]


def revoke(ctx: Context, token_id: str) -> TokenInfo:
    """Revoke a token at once: one's own, or any for an admin."""

    def work(conn: Connection) -> TokenInfo:
        who = authorize(conn, ctx, Action.INCIDENT_READ)
        token = store.get(conn, token_id.strip())
        own = (
            token is not None
            and token.scope == "api"
            and name_key(token.name) == name_key(who.name)
        )
        if not own:
            if not allowed(Action.TOKEN_MANAGE, who.roles):
                if token is None:
                    raise NotFound(f"no token {token_id}")
                raise PermissionDenied(f"{who.name} may revoke only their own tokens")
            if token is None:
                raise NotFound(f"no token {token_id}")
        assert token is not None
        if token.revoked_at is not None:
            return TokenInfo.of(token)
        now = ctx.now()
        store.revoke(conn, token.id, at=now, by=who.name)
        record(
            conn,
            ctx,
            who,
            action="token.revoke",
            entity_type="token",
            entity_id=token.id,
            changes={"name": token.name, "scope": token.scope},
        )
        revoked = store.get(conn, token.id)
        assert revoked is not None
        return TokenInfo.of(revoked)

    return ctx.db.write(work)


class TokenCache:
    """Intake tokens found valid within the last `ttl`, by the SHA-256 of the whole
    presented token (a lookup compares digests, never secrets). Bounded: when full, it
    starts again empty. Shared by the threads of one server process."""

    def __init__(self, ttl: timedelta = INTAKE_CACHE_TTL, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        # digest -> (identity, the token's expiry, read at)
        self._found: dict[bytes, tuple[Identity, datetime | None, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, digest: bytes, now: datetime) -> Identity | None:
        found = self._found.get(digest)
        if found is None:
            return None
        identity, expires_at, read_at = found
        if not read_at <= now < read_at + self.ttl or (
            expires_at is not None and expires_at <= now
        ):
            with self._lock:
                self._found.pop(digest, None)
            return None
        return identity

    def put(
        self, digest: bytes, identity: Identity, expires_at: datetime | None, now: datetime
    ) -> None:
        with self._lock:
            if len(self._found) >= self.size:
                self._found.clear()
            self._found[digest] = (identity, expires_at, now)


def authenticate(
    db: Database, presented: str, now: datetime, cache: TokenCache | None = None
) -> Identity | None:
    """The identity behind a presented token; None when it is malformed, unknown, wrong,
    revoked or expired (the caller answers all of these alike: 401). With `cache`, an
    intake token found valid within its `ttl` is not read again."""
    presented = presented.strip()
    digest = hashlib.sha256(presented.encode()).digest() if cache is not None else b""
    if cache is not None and (known := cache.get(digest, now)) is not None:
        return known
    match = _SHAPE.match(presented)
    if match is None:
        return None
    token_id, secret = match.groups()
    with db.reading() as conn:
        token = store.get(conn, token_id)
    # compared even when the id is unknown, so timing says nothing about which ids exist
    expected = token.secret_hash if token else _hash("0" * 43)
    if not hmac.compare_digest(expected, _hash(secret)) or token is None:
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:

        def touch(conn: Connection) -> None:
            store.touch(conn, token_id, now)

        db.write(touch)
    identity = Identity(token_id=token.id, name=token.name, scope=Scope(token.scope))
    if cache is not None and identity.scope is Scope.INTAKE:
        cache.put(digest, identity, token.expires_at, now)
    return identity
