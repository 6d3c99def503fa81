"""Impact use case: measure an incident's customer impact from request logs and keep it.

The numbers come from the one analytics definition (`warroom.analytics.impact`); this
module picks the window, scope and down-minute rule, stores the result with its
provenance, and tells SLA assessments their input changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Connection

from warroom.analytics.impact import compute_impact
from warroom.analytics.mapping import ColumnMapping
from warroom.domain.downtime import DowntimeRule
from warroom.domain.errors import InvalidInput, NotFound, Problem
from warroom.domain.permissions import Action
from warroom.domain.sla import SlaPolicy
from warroom.domain.window import TimeWindow, iso_z
from warroom.services import sla
from warroom.services.access import authorize, record
from warroom.services.context import Context
from warroom.store import impact as store
from warroom.store import incidents as incident_repo
from warroom.store.database import lock
from warroom.store.impact import StoredImpact

# The per-minute series is kept with every analysis: 31 days is 44,640 minutes.
MAX_WINDOW = timedelta(days=31)


def analyse(
    ctx: Context,
    incident_id: str,
    *,
    requests: str,
    mapping: ColumnMapping | None = None,
    window: TimeWindow | None = None,
    backend: str = "duckdb",
    policy: SlaPolicy | None = None,
    customers_total: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> StoredImpact:
    """Scan the log over the impact window (or `window`) and store the result, with the
    size of the customer registry when given (the share of the base it touched).

    The down-minute rule comes from the policy's `downtime` section, else the domain's
    defaults (5 % errors, at least one failed request). Nothing is stored on error.
    """
    with ctx.db.reading() as conn:
        incident = incident_repo.get(conn, incident_id)
        authorize(conn, ctx, Action.IMPACT_RUN, incident=incident)  # before a long scan
    chosen = window or incident.impact_window()
    if chosen is None:
        raise InvalidInput(
            [
                Problem(
                    "--window",
                    "no_impact_window",
                    f"incident {incident_id} has no impact window yet (it needs a detected or "
                    "impact_started entry and a resolved entry): pass --window START/END",
                )
            ]
        )
    if chosen.duration > MAX_WINDOW:
        raise InvalidInput(
            [
                Problem(
                    "--window",
                    "window_too_long",
                    f"the window {iso_z(chosen.start)}/{iso_z(chosen.end)} spans "
                    f"{chosen.duration.days} days; an impact analysis covers at most "
                    f"{MAX_WINDOW.days} days (one minute series per minute): pass a shorter "
                    f"--window",
                )
            ]
        )
    result = compute_impact(
        requests,
        chosen,
        incident.scope,
        rule=policy.downtime if policy else DowntimeRule(),
        backend=backend,
        mapping=mapping,
        spark_master=ctx.spark_master,
        plan_cache=ctx.plan_cache,
        progress=progress,
        now=ctx.clock,
    )

    def work(conn: Connection) -> StoredImpact:
        now = ctx.now()
        lock(conn, f"incident:{incident_id}")
        who = authorize(
            conn, ctx, Action.IMPACT_RUN, incident=incident_repo.get(conn, incident_id)
        )  # still there, still may
        store.add(conn, incident_id, result, now=now, by=who.name, customers_total=customers_total)
        record(
            conn,
            ctx,
            who,
            action="impact.analyse",
            entity_type="incident",
            entity_id=incident_id,
            changes={
                "source": result.provenance.source,
                "engine": result.provenance.engine,
                "window": {"start": iso_z(chosen.start), "end": iso_z(chosen.end)},
                "rows_scanned": result.provenance.rows_scanned,
                "customers_affected": result.customers_affected,
                "users_affected": result.users_affected,
                "transactions_affected": result.transactions_affected,
                "definition_hash": result.provenance.definition_hash,
            },
        )
        sla.revalidate_incident(conn, ctx, incident_id)
        stored = store.latest(conn, incident_id)
        assert stored is not None
        return stored

    return ctx.db.write(work)


def latest(ctx: Context, incident_id: str) -> StoredImpact | None:
    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.INCIDENT_READ, incident=incident_repo.get(conn, incident_id))
        return store.latest(conn, incident_id)


def require_latest(ctx: Context, incident_id: str) -> StoredImpact:
    found = latest(ctx, incident_id)
    if found is None:
        raise NotFound(
            f"incident {incident_id} has no impact analysis yet: run "
            f"`warroom impact {incident_id} --requests LOG`"
        )
    return found
