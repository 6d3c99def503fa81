"""Prometheus metrics of the server: requests, latency, intake outcomes, database pool.

With several worker processes (`warroom serve --workers N`) every process writes its
samples to PROMETHEUS_MULTIPROC_DIR (made by `serve`) and `/metrics` adds them up, so
any worker answers for all. prometheus_client reads that variable when first imported:
it must be set before this module is.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from warroom.store.database import Database

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "warroom_http_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "warroom_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# Incremented by the intake routes: source = alertmanager or pagerduty; outcome = opened,
# joined, stored (no incident: for triage), updated, duplicate, stale (an older event),
# rejected (a 4xx body), unauthorized (401/403), unavailable (the database: 503, the
# sender retries).
INTAKE_ALERTS = Counter(
    "warroom_intake_alerts_total",
    "Alerts received on the intake routes, by source and outcome.",
    ["source", "outcome"],
)
DB_POOL = Gauge(
    "warroom_db_pool_connections",
    "Database connections of the server processes: in_use "
    "(checked out), idle (open, in the pool), waiting (requests waiting for one).",
    ["state"],
    multiprocess_mode="livesum",
)

POOL_STATES = ("in_use", "idle", "waiting")


def observe_pool(db: Database) -> None:
    """Copy the pool's current numbers into the gauge (after each request, and at a scrape)."""
    for state, value in db.pool_status().items():
        DB_POOL.labels(state=state).set(value)


def exposition() -> tuple[bytes, str]:
    """The metrics text of every worker process (or of this one, without multiprocess)."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """Drop a finished process's live gauges (the pool it no longer holds)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
