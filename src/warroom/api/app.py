"""The application factory: `create_app(settings)` builds the FastAPI app; nothing runs at
import time. Routes live in `api.routes` (one module per group), errors map in `api.errors`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.routing import APIRoute

from warroom import __version__
from warroom.api import errors, metrics
from warroom.api.deps import WRITES_AT_ONCE, Server
from warroom.api.middleware import BodyLimit, RequestMetrics
from warroom.api.routes import (
    actions,
    audit,
    impact,
    incidents,
    notices,
    ops,
    people,
    reports,
    sla,
    subscriptions,
    timeline,
)
from warroom.api.routes import metrics as metric_routes
from warroom.formats.sources_file import NO_SOURCES, read_sources_file
from warroom.schemas.base import ErrorEnvelope
from warroom.services.context import Channel, context_from, utc_now
from warroom.settings import Settings
from warroom.store.database import Database

GROUPS = (incidents, timeline, actions, impact, sla, reports, notices, metric_routes, audit, people)
# The intake routes (alerts, change events; prefix f"{API_PREFIX}/intake") join when
# their module exists.
INTAKE_MODULE = "warroom.api.routes.intake"
INTAKE_PATH = "/api/v1/intake/"  # where monitoring systems post (their own body limit)

# Every /api/v1 route may answer these with the error envelope (docs/api.md).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": text}
    for status, text in (
        (400, "Malformed body"),
        (401, "No valid token"),
        (403, "The role or scope does not allow it"),
        (404, "Not found"),
        (409, "Contradicts what is stored"),
        (413, "Body too large"),
        (415, "Body is not JSON"),
        (422, "Invalid input"),
        (503, "Database unavailable; retry later"),
    )
}


# The public routes (status-page subscriptions) take no token.
PUBLIC_ERRORS = {
    status: answer for status, answer in ERROR_RESPONSES.items() if status not in (401, 403)
}


def operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids, "tag-name" (e.g. incidents-get_incident)."""
    tag = route.tags[0] if route.tags else "warroom"
    return f"{tag}-{route.name}"


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The API over `settings` (read from the environment when not given). `db` and
    `clock` are for tests, which share a database or fix the time."""
    settings = settings or Settings.from_env()
    owned = db is None
    database = db or Database(settings.database_url, pool_size=settings.db_pool_size)
    base = context_from(settings, database, actor="", channel=Channel.API, clock=clock or utc_now)
    sources = read_sources_file(settings.sources_file) if settings.sources_file else NO_SOURCES

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        # graceful shutdown: requests in flight have finished when this runs
        metrics.process_exited(os.getpid())
        if owned:
            database.dispose()

    app = FastAPI(
        title="warroom",
        version=__version__,
        lifespan=lifespan,
        description="Incident management: respond, quantify, settle, learn. Authenticate "
        "with `Authorization: Bearer TOKEN` (`warroom token create`). docs/api.md explains "
        "the routes, pagination, errors and jobs.",
        generate_unique_id_function=operation_id,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.warroom = Server(
        settings=settings,
        db=database,
        scale=base.scale,
        sources=sources,
        clock=base.clock,
        base=base,
        write_slots=anyio.CapacityLimiter(min(WRITES_AT_ONCE, settings.db_pool_size)),
    )
    errors.install(app)
    for group in GROUPS:
        app.include_router(group.router, responses=ERROR_RESPONSES)
    app.include_router(notices.maintenance_router, responses=ERROR_RESPONSES)
    app.include_router(subscriptions.router, responses=PUBLIC_ERRORS)
    if importlib.util.find_spec(INTAKE_MODULE) is not None:
        app.include_router(importlib.import_module(INTAKE_MODULE).router, responses=ERROR_RESPONSES)
    app.include_router(ops.router)
    if settings.bench_empty_route:
        from warroom.api.routes import bench

        app.include_router(bench.router)
    from warroom.web.app import mount  # the pages: staff under /, the status page at /status

    mount(app)
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        larger={INTAKE_PATH: (settings.max_intake_body_bytes, "WARROOM_MAX_INTAKE_BODY_BYTES")},
    )
    # outermost: times and counts every answer, the 413s included
    app.add_middleware(RequestMetrics, on_done=lambda: metrics.observe_pool(database))
    return app
