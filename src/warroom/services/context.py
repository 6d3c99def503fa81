"""What every use case needs: the database, who is acting and through which door, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.domain.permissions import DEFAULT_CONFIDENTIAL_ROLES, UserRole
from warroom.domain.severity import DEFAULT_SCALE, SeverityScale
from warroom.settings import DEFAULT_SPARK_MASTER, Settings
from warroom.store.database import Database

if TYPE_CHECKING:
    from warroom.domain.routing import RoutingRules


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
    spark_master: str = DEFAULT_SPARK_MASTER
    plan_cache: Path | None = None  # where compiled impact plans are kept (None: nowhere)
    channel: Channel = Channel.CLI
    authenticated: bool = False  # a password or token was checked for `actor`
    os_login: str | None = None  # the operating-system login behind a CLI command
    token_id: str | None = None  # the API or intake token used, if any
    intake_only: bool = False  # an intake token: may only post alerts and change events
    confidential_roles: frozenset[UserRole] = DEFAULT_CONFIDENTIAL_ROLES
    authenticated_approvals: bool = False  # refuse approvals outside authenticated sessions
    # how alerts become incidents; None: the domain's DEFAULT_RULES (`routing_rules`),
    # so that a command that never sees an alert does not load the routing code
    routing: RoutingRules | None = None
    # how far back a change may trigger
    change_lookback: timedelta = timedelta(minutes=Settings.change_lookback_minutes)
    public_url: str = "http://127.0.0.1:8000"  # where links in subscriber emails point
    notify_max_attempts: int = 8  # tries of each message queued (services.outbox)

    def now(self) -> datetime:
        return self.clock()

    def routing_rules(self) -> RoutingRules:
        if self.routing is not None:
            return self.routing
        from warroom.domain.routing import DEFAULT_RULES

        return DEFAULT_RULES


def context_from(
    settings: Settings, db: Database, *, actor: str, channel: Channel, **extra: Any
) -> Context:
    """A context configured as the settings say: severities, routing rules, the change
    look-back, confidential roles, approvals. Every door builds its contexts here."""
    scale = DEFAULT_SCALE
    if settings.severities_file:
        from warroom.formats.severity_file import read_severities

        scale = read_severities(settings.severities_file)
    routing = None
    if settings.routing_file:
        from warroom.formats.routing_file import read_routing_file

        routing = read_routing_file(settings.routing_file)
    return Context(
        db=db,
        actor=actor,
        scale=scale,
        spark_master=settings.spark_master,
        channel=channel,
        confidential_roles=settings.confidential_roles,
        authenticated_approvals=settings.authenticated_approvals,
        routing=routing,
        change_lookback=timedelta(minutes=settings.change_lookback_minutes),
        plan_cache=settings.plan_cache,
        public_url=settings.public_url,
        notify_max_attempts=settings.notify_max_attempts,
        **extra,
    )
