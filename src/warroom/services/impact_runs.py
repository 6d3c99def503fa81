"""Impact runs as background jobs: queue one by names from the sources file, run it.

The request names a request log, a customer registry and an SLA policy configured in
WARROOM_SOURCES_FILE; the server reads only what that file names. The job runs
`services.impact.analyse` as the person who queued it (their permission is checked
again when it runs), reporting progress as the scan advances.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from warroom.domain.permissions import Action
from warroom.formats.customer_registry import open_registry, registry_size
from warroom.formats.sla_policy import read_policy_file
from warroom.formats.sources_file import NO_SOURCES, Sources
from warroom.schemas.impact import ImpactPublic
from warroom.services import impact, jobs
from warroom.services.access import authorize
from warroom.services.context import Context
from warroom.store import incidents as incident_repo
from warroom.store.jobs import Job

KIND = "impact.analyse"


def start(
    ctx: Context,
    incident_id: str,
    sources: Sources,
    *,
    source: str,
    customers: str | None = None,
    policy: str | None = None,
) -> Job:
    """Queue an impact run; refused at once when a name is not configured."""
    sources.request_log(source)
    if customers is not None:
        sources.customers_location(customers)
    if policy is not None:
        sources.policy_file(policy)
    params = {
        "incident_id": incident_id,
        "source": source,
        "customers": customers,
        "policy": policy,
    }

    def work(conn: Connection) -> Job:
        incident = incident_repo.get(conn, incident_id)
        who = authorize(conn, ctx, Action.IMPACT_RUN, incident=incident)
        return jobs.enqueue(conn, ctx, who, KIND, params, incident_id=incident_id)

    return ctx.db.write(work)


def run(run: jobs.JobRun) -> dict[str, Any]:
    """The job's handler: read the named inputs, scan, store; the result is ImpactPublic."""
    params = run.job.params
    sources: Sources = run.resources.get("sources", NO_SOURCES)
    log = sources.request_log(params["source"])
    policy = (
        read_policy_file(sources.policy_file(params["policy"])) if params.get("policy") else None
    )
    registry = (
        open_registry(sources.customers_location(params["customers"]), policy=policy)
        if params.get("customers")
        else None
    )
    stored = impact.analyse(
        run.ctx,
        params["incident_id"],
        requests=log.location,
        mapping=log.mapping or None,
        backend=log.backend,
        policy=policy,
        customers_total=registry_size(registry)[0] if registry else None,
        progress=run.progress,
    )
    return ImpactPublic.of(stored).to_data()
