"""Passwords: set, checked, stored only as argon2 hashes (argon2-cffi's defaults).

A password proves who is acting: the web sign-in uses it, and the CLI asks for it where
the deployment accepts approvals only from authenticated sessions.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from warroom.domain.errors import InvalidInput, NotFound, PermissionDenied, Problem
from warroom.domain.permissions import Action
from warroom.services.access import authorize, principal, record
from warroom.services.context import Context
from warroom.store import users as people

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes anything; the bound keeps a request cheap to refuse

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name costs as long as a wrong
    password and sign-in timing does not reveal who is registered. Made on first use:
    hashing takes ~0.1 s, which every command would otherwise pay at start-up."""
    return _hasher.hash("warroom: no such person")


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            [Problem("password", "too_short", f"a password has at least {MIN_PASSWORD} characters")]
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            [Problem("password", "too_long", f"a password has at most {MAX_PASSWORD} characters")]
        )
    if "\x00" in password:
        raise InvalidInput([Problem("password", "nul_character", "a password cannot contain NUL")])


def set_password(ctx: Context, name: str, password: str) -> str:
    """Set `name`'s password: their own, or anyone's for an admin. Returns the name as
    registered."""
    check_password_rules(password)
    hashed = _hasher.hash(password)

    def work(conn: Connection) -> str:
        who = principal(conn, ctx)
        target = people.get(conn, name)
        if target is None:
            raise NotFound(f"no user {name}; add them with `warroom user add`")
        if not who.registered or who.name != target.name:
            who = authorize(conn, ctx, Action.USER_MANAGE)
        people.set_password_hash(conn, target.name, hashed)
        record(
            conn,
            ctx,
            who,
            action="user.password",
            entity_type="user",
            entity_id=target.name,
            changes={"password": "set"},
        )
        return target.name

    return ctx.db.write(work)


def verify_password(ctx: Context, name: str, password: str) -> str:
    """The name as registered when `password` is theirs; PermissionDenied otherwise (the
    same answer for an unknown name, a wrong password, and a person without one)."""
    with ctx.db.reading() as conn:
        user = people.get(conn, name)
        stored = people.password_hash(conn, name) if user else None
    if len(password) > MAX_PASSWORD:
        raise PermissionDenied("wrong name or password")
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise PermissionDenied("wrong name or password") from None
    if user is None or stored is None:
        raise PermissionDenied("wrong name or password")
    if _hasher.check_needs_rehash(stored):

        def rehash(conn: Connection) -> None:
            people.set_password_hash(conn, user.name, _hasher.hash(password))

        ctx.db.write(rehash)
    return user.name
