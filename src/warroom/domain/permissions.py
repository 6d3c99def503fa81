"""Who may do what: the one table of actions × roles, used by every door (CLI, API, web).

A person acts with the roles registered for them (`warroom user add NAME --role ...`).
The table says which roles allow each action; approving as legal or finance further
needs that exact role (the gate in `domain.assessment` checks it). docs/security.md
prints this table, and a test checks it against this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from warroom.domain.audience import Audience


class UserRole(StrEnum):
    VIEWER = "viewer"  # reads incidents, metrics and published reports
    RESPONDER = "responder"  # works incidents: declares, writes the timeline, runs impact
    COMMANDER = "commander"  # drives incidents: reopens, imports, assesses, publishes
    LEGAL = "legal"  # reviews SLA credits (one of the two approvals)
    FINANCE = "finance"  # reviews SLA credits (the other approval), exports them for billing
    ADMIN = "admin"  # manages people and credentials; may do all a commander does


class Action(StrEnum):
    INCIDENT_READ = "incident.read"
    INCIDENT_DECLARE = "incident.declare"
    INCIDENT_IMPORT = "incident.import"
    INCIDENT_UPDATE = "incident.update"  # title, severity, scope, root cause, summaries
    INCIDENT_STATUS = "incident.status"
    INCIDENT_REOPEN = "incident.reopen"
    INCIDENT_ASSIGN = "incident.assign"
    TIMELINE_ADD = "timeline.add"
    ACTION_WRITE = "action.write"  # add and change corrective actions
    IMPACT_RUN = "impact.run"
    SLA_READ = "sla.read"  # credit figures before legal and finance approve them
    SLA_ASSESS = "sla.assess"  # compute, recompute, and submit for review
    SLA_REVIEW = "sla.review"  # approve or request changes, in a role the person holds
    SLA_EXPORT = "sla.export"  # the approved credits, for billing
    REPORT_READ_CONFIDENTIAL = "report.read_confidential"
    REPORT_PUBLISH = "report.publish"
    AUDIT_READ = "audit.read"
    METRICS_READ = "metrics.read"
    USER_MANAGE = "user.manage"  # add people, change roles, set others' passwords
    TOKEN_MANAGE = "token.manage"  # tokens for others and intake tokens; list and revoke any
    INTAKE_POST = "intake.post"  # alerts and change events from monitoring systems
    NOTICE_SEND = "notice.send"  # queue customers' notices (approved credits only), retry
    NOTICE_READ = "notice.read"  # who was sent which notice, and where delivery stands
    CONTACT_MANAGE = "contact.manage"  # load customers' notice addresses, webhook secrets
    MAINTENANCE_WRITE = "maintenance.write"  # schedule, announce and cancel maintenance


R = UserRole
_EVERYONE = frozenset(UserRole)
_WORKERS = frozenset({R.RESPONDER, R.COMMANDER, R.ADMIN})
_DRIVERS = frozenset({R.COMMANDER, R.ADMIN})

PERMISSIONS: Mapping[Action, frozenset[UserRole]] = {
    Action.INCIDENT_READ: _EVERYONE,
    Action.INCIDENT_DECLARE: _WORKERS,
    Action.INCIDENT_IMPORT: _DRIVERS,
    Action.INCIDENT_UPDATE: _WORKERS,
    Action.INCIDENT_STATUS: _WORKERS,
    Action.INCIDENT_REOPEN: _DRIVERS,
    Action.INCIDENT_ASSIGN: _WORKERS,
    Action.TIMELINE_ADD: _WORKERS,
    Action.ACTION_WRITE: _WORKERS,
    Action.IMPACT_RUN: _WORKERS,
    Action.SLA_READ: frozenset({R.RESPONDER, R.COMMANDER, R.LEGAL, R.FINANCE, R.ADMIN}),
    Action.SLA_ASSESS: frozenset({R.COMMANDER, R.FINANCE, R.ADMIN}),
    Action.SLA_REVIEW: frozenset({R.LEGAL, R.FINANCE}),
    Action.SLA_EXPORT: frozenset({R.FINANCE, R.ADMIN}),
    Action.REPORT_READ_CONFIDENTIAL: frozenset({R.COMMANDER, R.LEGAL, R.FINANCE, R.ADMIN}),
    Action.REPORT_PUBLISH: _DRIVERS,
    Action.AUDIT_READ: frozenset({R.COMMANDER, R.LEGAL, R.FINANCE, R.ADMIN}),
    Action.METRICS_READ: _EVERYONE,
    Action.USER_MANAGE: frozenset({R.ADMIN}),
    Action.TOKEN_MANAGE: frozenset({R.ADMIN}),
    Action.INTAKE_POST: frozenset({R.ADMIN}),  # and intake tokens, whatever their owner
    Action.NOTICE_SEND: frozenset({R.COMMANDER, R.FINANCE, R.ADMIN}),
    Action.NOTICE_READ: frozenset({R.COMMANDER, R.LEGAL, R.FINANCE, R.ADMIN}),
    Action.CONTACT_MANAGE: frozenset({R.ADMIN}),
    Action.MAINTENANCE_WRITE: _DRIVERS,
}

# What an intake token may do, whoever created it: post alerts and change events.
INTAKE_SCOPE_ACTIONS = frozenset({Action.INTAKE_POST})

# Who reads a confidential incident besides its participants, unless configured otherwise.
DEFAULT_CONFIDENTIAL_ROLES = frozenset({R.COMMANDER, R.LEGAL, R.FINANCE, R.ADMIN})


def parse_user_role(value: str) -> UserRole:
    from warroom.domain.errors import InvalidInput, Problem

    try:
        return UserRole(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in UserRole)
        raise InvalidInput(
            [Problem("role", "unknown_role", f"unknown role {value!r}; expected one of {names}")]
        ) from None


def allowed(action: Action, roles: Iterable[UserRole]) -> bool:
    """True when any of `roles` allows `action`."""
    return not PERMISSIONS[action].isdisjoint(roles)


def roles_allowed(action: Action) -> tuple[UserRole, ...]:
    """The roles that allow `action`, in the table's order (for messages and docs)."""
    return tuple(role for role in UserRole if role in PERMISSIONS[action])


def may_see_credits_before_approval(roles: Iterable[UserRole]) -> bool:
    """Viewers see credit amounts only once legal and finance approved them."""
    return allowed(Action.SLA_READ, roles)


def report_audience_allowed(
    audience: Audience, roles: Iterable[UserRole], *, credits_approved: bool
) -> bool:
    """Whether a person with `roles` may read `audience`'s version of a report.

    The public and customer versions hold nothing beyond what the audience rules allow
    outside (a customer's credit only after approval); the internal version holds the
    liability range, so viewers read it once the credits are approved; the confidential
    version needs a role that reads confidential reports.
    """
    held = frozenset(roles)
    if not held:
        return False
    if audience in (Audience.PUBLIC, Audience.CUSTOMER):
        return True
    if audience is Audience.INTERNAL:
        return credits_approved or may_see_credits_before_approval(held)
    return allowed(Action.REPORT_READ_CONFIDENTIAL, held)
