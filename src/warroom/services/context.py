"""What every use case needs: the database, who is acting and through which door, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from warroom.domain.permissions import DEFAULT_CONFIDENTIAL_ROLES, UserRole
from warroom.domain.severity import DEFAULT_SCALE, SeverityScale
from warroom.store.database import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


class Channel(StrEnum):
    """The door an action came through, as the audit log records it."""

    CLI = "cli"  # the command line on the database itself: an administrator's tool
    API = "api"  # an API token acting as its owner
    WEB = "web"  # a signed-in browser session
    INTAKE = "intake"  # an intake token of a monitoring system
    SYSTEM = "system"  # warroom's own workers


@dataclass
class Context:
    """Passed to every service function; tests build one with a fixed clock.

    `actor` is the person acting as they named themselves (CLI) or as their credential
    names them (API, web). Services resolve it against the registered people inside
    each transaction (`services.access`), so a role taken away counts at once.
    """

    db: Database
    actor: str
    scale: SeverityScale = DEFAULT_SCALE
    clock: Callable[[], datetime] = field(default=utc_now)
    spark_master: str = "local[*]"
    channel: Channel = Channel.CLI
    authenticated: bool = False  # a password or token was checked for `actor`
    os_login: str | None = None  # the operating-system login behind a CLI command
    token_id: str | None = None  # the API or intake token used, if any
    intake_only: bool = False  # an intake token: may only post alerts and change events
    confidential_roles: frozenset[UserRole] = DEFAULT_CONFIDENTIAL_ROLES
    authenticated_approvals: bool = False  # refuse approvals outside authenticated sessions

    def now(self) -> datetime:
        return self.clock()
