"""The public status page: built from public incident views only, served from a cache.

`public_status` reads the announced incidents (those with a public update), turns each
into its public view (`domain.redaction.incident_view(..., Audience.PUBLIC)`, the same
rule as the reports) and lets `domain.status.build_status` decide the rest. Nobody
signs in to read it, so nothing here is authorized: it holds nothing but public content.

`StatusCache` keeps the rendered page in memory. At most once every `ttl` seconds one
request asks the database for the public content version (one cheap query); the page is
rebuilt only when that changed, or when it is a minute old (uptime bars move with the
clock). Meanwhile, and while the database cannot be reached, every request is answered
from memory: a storm of readers costs the database nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from warroom.domain.audience import Audience
from warroom.domain.redaction import incident_view
from warroom.domain.scope import Scope
from warroom.domain.status import (
    HISTORY_LIMIT,
    UPTIME_DAYS,
    Announced,
    Maintenance,
    PublicIncident,
    PublicStatus,
    build_status,
    is_announced,
    outage_span,
)
from warroom.domain.window import iso_z
from warroom.services.context import Context
from warroom.store import incidents as incident_repo
from warroom.store import maintenance as maintenance_store
from warroom.store import status as store

log = logging.getLogger("warroom.status")

T = TypeVar("T")

MAINTENANCE_LIMIT = 50  # announced windows shown, soonest first

# however unchanged the content, the page is rebuilt this often (uptime bars, the clock)
REBUILD_EVERY = 60.0
# an incident lasting longer than this before the 90 days still shows in their bars
LONGEST_INCIDENT = timedelta(days=31)


def public_status(ctx: Context, *, title: str, days: int = UPTIME_DAYS) -> PublicStatus:
    """The status page as it stands now (see `domain.status` for every rule)."""
    now = ctx.now()
    since = (now - timedelta(days=days) - LONGEST_INCIDENT).date()
    with ctx.db.reading() as conn:
        ids = store.announced_ids(conn, since=since, newest=HISTORY_LIMIT)
        found = incident_repo.get_many(conn, ids)
        services, regions = store.alert_places(conn)
        slots = [
            Maintenance(r.title, r.starts_at, r.ends_at, r.scope, r.description)
            for r in maintenance_store.listed(
                conn, ending_after=now, announced_only=True, limit=MAINTENANCE_LIMIT
            )
        ]
    announced = []
    for incident in found:
        view = incident_view(incident, Audience.PUBLIC)
        if not is_announced(view):
            continue
        try:
            rank = ctx.scale.get(incident.severity).rank
        except KeyError:  # a severity the configured scale no longer defines
            rank = len(ctx.scale.names) + 1
        announced.append(Announced(view, outage_span(incident, now), rank))
    return build_status(
        announced,
        services=services,
        regions=regions,
        now=now,
        title=title,
        days=days,
        maintenance=slots,
    )


def content_version(ctx: Context) -> tuple[Any, ...]:
    with ctx.db.reading() as conn:
        return store.content_version(conn)


@dataclass
class _Entry(Generic[T]):
    value: T
    version: tuple[Any, ...]
    built: float  # time.monotonic() when built
    checked: float  # ... and when the version was last read


class StatusCache(Generic[T]):
    """The rendered status page (`render` of `public_status`), refreshed as described in
    the module's docstring. Thread-safe; one refresh at a time, the others served the
    copy in hand."""

    def __init__(
        self,
        ctx: Context,
        render: Callable[[PublicStatus], T],
        *,
        title: str,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = ctx
        self.render = render
        self.title = title
        self.ttl = ttl
        self.clock = clock
        self._entry: _Entry[T] | None = None
        self._lock = threading.Lock()
        self.builds = 0  # how many times the page was built (tests, metrics)

    def get(self) -> T:
        entry = self._entry
        now = self.clock()
        if entry is not None and now < entry.checked + self.ttl:
            return entry.value
        if entry is not None:
            if not self._lock.acquire(blocking=False):
                return entry.value  # another request is refreshing it
        else:
            self._lock.acquire()
        try:
            return self._refresh()
        finally:
            self._lock.release()

    def invalidate(self) -> None:
        """Check the database at the next request (after a change made in this process)."""
        entry = self._entry
        if entry is not None:
            entry.checked = float("-inf")

    def _refresh(self) -> T:
        entry = self._entry
        now = self.clock()
        if entry is not None and now < entry.checked + self.ttl:
            return entry.value  # refreshed while this request waited
        try:
            version = content_version(self.ctx)
            if entry is not None and version == entry.version and now < entry.built + REBUILD_EVERY:
                entry.checked = now
                return entry.value
            value = self.render(public_status(self.ctx, title=self.title))
        except Exception as error:
            if entry is None:
                raise
            # the database is away: keep answering with what was last built
            log.warning("status page not refreshed, serving the copy in hand: %s", error)
            entry.checked = now
            return entry.value
        self.builds += 1
        self._entry = _Entry(value, version, now, now)
        return value


# -- JSON ----------------------------------------------------------------------------------


def to_data(status: PublicStatus) -> dict[str, Any]:
    """The status as JSON data (status.json): times ISO-8601 UTC with Z, percents as
    decimal strings."""
    return {
        "title": status.title,
        "generated_at": iso_z(status.generated_at),
        "updated_at": iso_z(status.updated_at) if status.updated_at else None,
        "state": status.state.value,
        "headline": status.headline,
        "services": [
            {
                "name": s.name,
                "state": s.state.value,
                "uptime": _pct(s.uptime),
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "down_minutes": d.down_minutes,
                        "uptime": _pct(d.uptime),
                        "level": d.level,
                    }
                    for d in s.days
                ],
            }
            for s in status.services
        ],
        "regions": [{"name": r.name, "state": r.state.value} for r in status.regions],
        "active": [_incident(i) for i in status.active],
        "maintenance": [
            {
                "title": m.title,
                "starts_at": iso_z(m.starts_at),
                "ends_at": iso_z(m.ends_at),
                "scope": _scope(m.scope),
                "text": m.text,
            }
            for m in status.maintenance
        ],
        "history": [_incident(i) for i in status.history],
    }


def _incident(incident: PublicIncident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "state": incident.state.value,
        "status": incident.status_label,
        "summary": incident.summary,
        "started_at": iso_z(incident.started_at) if incident.started_at else None,
        "resolved_at": iso_z(incident.resolved_at) if incident.resolved_at else None,
        "updated_at": iso_z(incident.updated_at),
        "scope": _scope(incident.scope),
        "updates": [
            {"at": iso_z(u.at), "label": u.label, "text": u.text} for u in incident.updates
        ],
    }


def _scope(scope: Scope) -> dict[str, Any]:
    return {
        "regions": list(scope.regions) if scope.regions is not None else None,
        "services": list(scope.services) if scope.services is not None else None,
    }


def _pct(value: Decimal) -> str:
    return format(value, "f")
