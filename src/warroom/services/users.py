"""People and roles: who may approve SLA credits as legal or finance, who administers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from warroom.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from warroom.services.context import Context
from warroom.store import audit
from warroom.store import users as repo
from warroom.store.users import User

ROLES = ("viewer", "responder", "commander", "legal", "finance", "admin")


def parse_roles(roles: Iterable[str]) -> tuple[str, ...]:
    wanted = []
    for role in roles:
        name = role.strip().lower()
        if name not in ROLES:
            raise InvalidInput([Problem("role", "unknown_role",
                                        f"unknown role {role!r}; expected one of "
                                        f"{', '.join(ROLES)}")])
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        raise InvalidInput([Problem("role", "missing", "give at least one --role")])
    return tuple(wanted)


def _require_admin(conn: Connection, ctx: Context) -> None:
    """Once anyone is registered, only an admin manages people (the first user bootstraps)."""
    if repo.count(conn) == 0:
        return
    actor = repo.get(conn, ctx.actor)
    if actor is None or "admin" not in actor.roles:
        raise PermissionDenied(f"{ctx.actor} is not an admin; only admins add people or change "
                               "roles (act as one with --as or WARROOM_USER)")


def add_user(ctx: Context, name: str, roles: Iterable[str]) -> User:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput([Problem("name", "bad_name", "a name is 1 to 200 characters")])
    wanted = parse_roles(roles)
    with ctx.db.transaction() as conn:
        _require_admin(conn, ctx)
        if repo.get(conn, name) is not None:
            raise Conflict(f"{name} is already registered; change their roles with "
                           "`warroom user roles`")
        user = repo.add(conn, name, wanted, now=ctx.now())
        audit.record(conn, at=ctx.now(), actor=ctx.actor, action="user.add", entity_type="user",
                     entity_id=name, changes={"roles": {"before": None, "after": list(wanted)}})
    return user


def set_roles(ctx: Context, name: str, roles: Iterable[str]) -> User:
    wanted = parse_roles(roles)
    with ctx.db.transaction() as conn:
        _require_admin(conn, ctx)
        user = repo.get(conn, name)
        if user is None:
            raise NotFound(f"no user {name}; add them with `warroom user add`")
        repo.set_roles(conn, name, wanted)
        audit.record(conn, at=ctx.now(), actor=ctx.actor, action="user.roles",
                     entity_type="user", entity_id=name,
                     changes={"roles": {"before": list(user.roles), "after": list(wanted)}})
    return User(name, wanted, user.created_at)


def list_users(ctx: Context) -> list[User]:
    with ctx.db.reading() as conn:
        return repo.all_users(conn)


def roles_of(conn: Connection, name: str) -> tuple[str, ...]:
    user = repo.get(conn, name)
    if user is None:
        raise PermissionDenied(f"{name} is not a registered user; an admin adds them with "
                               f"`warroom user add '{name}' --role ...`")
    return user.roles
