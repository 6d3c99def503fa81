"""People and roles: who may act, who approves SLA credits as legal or finance, who administers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from warroom.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from warroom.domain.permissions import Action, UserRole, parse_user_role
from warroom.domain.text import text_problem
from warroom.services.access import authorize, record
from warroom.services.context import Context
from warroom.store import users as repo
from warroom.store.users import User

ROLES = tuple(role.value for role in UserRole)
MAX_NAME = 200


def parse_roles(roles: Iterable[str]) -> tuple[str, ...]:
    wanted: list[str] = []
    for role in roles:
        name = parse_user_role(role).value
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        raise InvalidInput([Problem("role", "missing", "give at least one --role")])
    return tuple(wanted)


def check_name(name: str) -> str:
    name = " ".join(name.split())
    problem = text_problem("name", name)
    if problem:
        raise InvalidInput([problem])
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidInput(
            [Problem("name", "bad_name", f"a name is 1 to {MAX_NAME} printable characters")]
        )
    return name


def _require_admin(conn: Connection, ctx: Context) -> None:
    """Once anyone is registered, only an admin manages people (the first one bootstraps)."""
    if repo.count(conn) == 0:
        return
    authorize(conn, ctx, Action.USER_MANAGE)


def bootstrap(ctx: Context) -> User | None:
    """On a database with nobody registered, register the acting person as its first
    admin (what `warroom init` does); None when people are registered already."""

    def work(conn: Connection) -> User | None:
        if repo.count(conn) > 0:
            return None
        name = check_name(ctx.actor)
        user = repo.add(conn, name, (UserRole.ADMIN.value,), now=ctx.now())
        record(
            conn,
            ctx,
            name,
            action="user.add",
            entity_type="user",
            entity_id=name,
            changes={
                "roles": {"before": None, "after": [UserRole.ADMIN.value]},
                "first_admin": True,
            },
        )
        return user

    return ctx.db.write(work)


def add_user(ctx: Context, name: str, roles: Iterable[str]) -> User:
    name = check_name(name)
    wanted = parse_roles(roles)

    def work(conn: Connection) -> User:
        _require_admin(conn, ctx)
        existing = repo.get(conn, name)
        if existing is not None:
            raise Conflict(
                f"{existing.name} is already registered; change their roles with "
                "`warroom user roles`"
            )
        user = repo.add(conn, name, wanted, now=ctx.now())
        record(
            conn,
            ctx,
            _actor_name(conn, ctx),
            action="user.add",
            entity_type="user",
            entity_id=name,
            changes={"roles": {"before": None, "after": list(wanted)}},
        )
        return user

    return ctx.db.write(work)


def set_roles(ctx: Context, name: str, roles: Iterable[str]) -> User:
    wanted = parse_roles(roles)

    def work(conn: Connection) -> User:
        who = authorize(conn, ctx, Action.USER_MANAGE)
        user = repo.get(conn, name)
        if user is None:
            raise NotFound(f"no user {name}; add them with `warroom user add`")
        if user.name == who.name and UserRole.ADMIN.value not in wanted:
            others = [
                u
                for u in repo.all_users(conn)
                if UserRole.ADMIN.value in u.roles and u.name != who.name
            ]
            if not others:
                raise PermissionDenied(
                    "you are the only admin: give another person the admin role before giving it up"
                )
        repo.set_roles(conn, user.name, wanted)
        record(
            conn,
            ctx,
            who,
            action="user.roles",
            entity_type="user",
            entity_id=user.name,
            changes={"roles": {"before": list(user.roles), "after": list(wanted)}},
        )
        return User(user.name, wanted, user.created_at, user.has_password)

    return ctx.db.write(work)


def list_users(ctx: Context) -> list[User]:
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ)  # any registered person
        return repo.all_users(conn)


def _actor_name(conn: Connection, ctx: Context) -> str:
    user = repo.get(conn, ctx.actor)
    return user.name if user else ctx.actor


def whoami(ctx: Context) -> User:
    """The acting person as registered (for `GET /api/v1/me`)."""
    with ctx.db.reading() as conn:
        who = authorize(conn, ctx, Action.INCIDENT_READ)  # a registered person, not intake
        user = repo.get(conn, who.name)
        assert user is not None
        return user
