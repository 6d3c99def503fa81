"""Who is acting, whether they may, and the audit entry that records what they did.

Every use case that reads or changes something asks `authorize` inside its transaction:
the person is resolved against the registered people there (names match
case-insensitively), their roles are checked against the one table in
`domain.permissions`, and the resulting `Principal` is what the audit log records, with
the door it came through (CLI, API, web, intake) and, for the CLI, the operating-system
login behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from warroom.domain.errors import NotFound, PermissionDenied
from warroom.domain.incident import Classification, Incident
from warroom.domain.permissions import (
    INTAKE_SCOPE_ACTIONS,
    Action,
    UserRole,
    allowed,
    roles_allowed,
)
from warroom.services.context import Context
from warroom.store import audit
from warroom.store import users as people
from warroom.store.users import name_key


@dataclass(frozen=True)
class Principal:
    """The person acting, as registered: their name as written there, and their roles."""

    name: str
    roles: frozenset[UserRole]
    registered: bool

    def holds(self, *roles: UserRole) -> bool:
        return not self.roles.isdisjoint(roles)


def principal(conn: Connection, ctx: Context) -> Principal:
    """`ctx.actor` resolved against the registered people (no roles when unregistered)."""
    if ctx.intake_only:
        return Principal(ctx.actor, frozenset(), registered=False)
    user = people.get(conn, ctx.actor)
    if user is None:
        return Principal(" ".join(ctx.actor.split()), frozenset(), registered=False)
    return Principal(user.name, frozenset(_known(user.roles)), registered=True)


def authorize(
    conn: Connection, ctx: Context, action: Action, *, incident: Incident | None = None
) -> Principal:
    """The acting principal, when the table allows them `action` (on `incident`, which
    must be visible to them); else PermissionDenied naming the roles that would."""
    if ctx.intake_only:
        if action not in INTAKE_SCOPE_ACTIONS:
            raise PermissionDenied("an intake token may only post alerts and change events")
        return principal(conn, ctx)
    who = principal(conn, ctx)
    if not who.registered:
        raise PermissionDenied(
            f"{who.name or 'this person'} is not a registered user; an admin adds people "
            "with `warroom user add NAME --role ...`"
        )
    if incident is not None:
        require_visible(ctx, who, incident)
    if not allowed(action, who.roles):
        raise PermissionDenied(
            f"{who.name} may not {_verb(action)}: that needs the "
            f"{_either(r.value for r in roles_allowed(action))} role "
            f"(they hold {', '.join(sorted(r.value for r in who.roles)) or 'none'})"
        )
    return who


def may_view(ctx: Context, who: Principal, incident: Incident) -> bool:
    """Confidential incidents are visible to their participants and to the configured
    roles (legal, finance and admin by default); the others to every registered person."""
    if not who.registered:
        return False
    if incident.classification is not Classification.CONFIDENTIAL:
        return True
    if not who.roles.isdisjoint(ctx.confidential_roles):
        return True
    return name_key(who.name) in {name_key(n) for n in participants(incident)}


def require_visible(ctx: Context, who: Principal, incident: Incident) -> None:
    if not may_view(ctx, who, incident):
        # the same answer as for an incident that does not exist: its ID is not a leak
        raise NotFound(f"no incident {incident.id}")


def participants(incident: Incident) -> set[str]:
    """People named on the incident: its roles, timeline authors and action owners."""
    names = set(incident.roles.values())
    names.update(e.author for e in incident.timeline if e.author)
    names.update(a.owner for a in incident.actions if a.owner)
    return names


def record(
    conn: Connection,
    ctx: Context,
    who: Principal | str,
    *,
    action: str,
    entity_type: str,
    entity_id: str,
    changes: dict[str, Any],
) -> None:
    """Write the audit entry of a change, in the change's own transaction."""
    actor = who.name if isinstance(who, Principal) else who
    audit.record(
        conn,
        at=ctx.now(),
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        changes=changes,
        channel=ctx.channel.value,
        os_login=ctx.os_login,
        token_id=ctx.token_id,
    )


def _known(roles: Iterable[str]) -> Iterable[UserRole]:
    for role in roles:
        try:
            yield UserRole(role)
        except ValueError:  # a role a newer warroom wrote: grants nothing here
            continue


def _verb(action: Action) -> str:
    return _VERBS.get(action, action.value)


def _either(names: Iterable[str]) -> str:
    listed = list(names)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]


_VERBS = {
    Action.INCIDENT_READ: "read incidents",
    Action.INCIDENT_DECLARE: "declare incidents",
    Action.INCIDENT_IMPORT: "import incidents",
    Action.INCIDENT_UPDATE: "change incidents",
    Action.INCIDENT_STATUS: "change an incident's status",
    Action.INCIDENT_REOPEN: "reopen incidents",
    Action.INCIDENT_ASSIGN: "assign incident roles",
    Action.TIMELINE_ADD: "write to timelines",
    Action.ACTION_WRITE: "add or change corrective actions",
    Action.IMPACT_RUN: "run impact analyses",
    Action.SLA_READ: "see credit figures before legal and finance approve them",
    Action.SLA_ASSESS: "assess or submit SLA credits",
    Action.SLA_REVIEW: "review SLA credits",
    Action.SLA_EXPORT: "export approved credits",
    Action.REPORT_READ_CONFIDENTIAL: "read confidential reports",
    Action.REPORT_PUBLISH: "publish reports",
    Action.AUDIT_READ: "read the audit log",
    Action.METRICS_READ: "read metrics",
    Action.USER_MANAGE: "manage people",
    Action.TOKEN_MANAGE: "manage other people's or intake tokens",
    Action.INTAKE_POST: "post alerts",
    Action.NOTICE_SEND: "send customer notices",
    Action.NOTICE_READ: "read customer notices and their delivery",
    Action.CONTACT_MANAGE: "manage customer contacts",
    Action.MAINTENANCE_WRITE: "schedule or announce maintenance",
}
