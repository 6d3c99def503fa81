"""Background jobs: queue work in a transaction, run it once in a worker, report its state.

Long work (an impact run scans a request log for minutes) never runs inside an HTTP
request: the request queues a job and answers 202; a worker claims it under a lease,
renews the lease while it works (a heartbeat), and records the outcome. A worker that
dies leaves its lease to run out; the next worker then retries the job, or fails it once
it has had `max_attempts` tries. Claiming is atomic (`store.jobs`), so any number of
workers (threads of `warroom serve`, `warroom worker` processes) run each job once.

Kinds of job are a registry of dotted paths (Healthchecks' TRANSPORTS), loaded on first
use: a handler takes a `JobRun` and returns the job's JSON result.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from warroom.domain.errors import NotFound, WarroomError
from warroom.domain.permissions import Action
from warroom.services.access import Principal, authorize, record
from warroom.services.context import Channel, Context, utc_now
from warroom.store import incidents as incident_repo
from warroom.store import jobs as store
from warroom.store.database import DatabaseUnavailable, is_transient, is_unavailable
from warroom.store.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, Job

__all__ = [
    "FAILED",
    "JOB_KINDS",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "Job",
    "JobRun",
    "Worker",
    "enqueue",
    "get_job",
]

log = logging.getLogger("warroom.jobs")

# kind -> "module:function" of its handler
JOB_KINDS: Mapping[str, str] = {
    "impact.analyse": "warroom.services.impact_runs:run",
}

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_LEASE = timedelta(seconds=60)
HEARTBEAT_SECONDS = 2.0  # how often a running job renews its lease and saves its progress


@dataclass
class JobRun:
    """What a handler gets: the job, a context acting as the person who queued it, the
    settings-derived `resources` the worker was given, and a progress callback (0..1)."""

    job: Job
    ctx: Context
    resources: Mapping[str, Any]
    progress: Callable[[float], None]


class JobHandler(Protocol):
    def __call__(self, run: JobRun, /) -> dict[str, Any]: ...


_handlers: dict[str, JobHandler] = {}


def handler_for(kind: str) -> JobHandler:
    if kind not in _handlers:
        module, _, name = JOB_KINDS[kind].partition(":")
        _handlers[kind] = getattr(importlib.import_module(module), name)
    return _handlers[kind]


# -- queueing and reading ---------------------------------------------------------------------


def enqueue(
    conn: Connection,
    ctx: Context,
    who: Principal | str,
    kind: str,
    params: dict[str, Any],
    *,
    incident_id: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Queue a job inside the caller's write transaction (so it exists only if the
    decision to run it commits); the job will run as `who`."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    name = who.name if isinstance(who, Principal) else who
    job = store.add(
        conn,
        job_id=uuid.uuid4().hex,
        kind=kind,
        params=params,
        incident_id=incident_id,
        now=ctx.now(),
        created_by=name,
        channel=ctx.channel.value,
        token_id=ctx.token_id,
        max_attempts=max_attempts,
    )
    record(
        conn,
        ctx,
        who,
        action="job.queue",
        entity_type="job",
        entity_id=job.id,
        changes={"kind": kind, "params": params, "incident_id": incident_id},
    )
    return job


def get_job(ctx: Context, job_id: str, *, kind: str | None = None) -> Job:
    """A job, for people who may read its incident (or who queued it)."""
    with ctx.db.reading() as conn:
        job = store.get(conn, job_id)
        if job is None or (kind is not None and job.kind != kind):
            authorize(conn, ctx, Action.INCIDENT_READ)
            raise NotFound(f"no job {job_id}")
        if job.incident_id is not None:
            authorize(
                conn, ctx, Action.INCIDENT_READ, incident=incident_repo.get(conn, job.incident_id)
            )
        else:
            who = authorize(conn, ctx, Action.INCIDENT_READ)
            if who.name != job.created_by:
                authorize(conn, ctx, Action.TOKEN_MANAGE)
        return job


# -- running -----------------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass
class Worker:
    """Claims jobs one at a time and runs them. `base` is the context jobs run in (the
    database, scale, configuration); each job acts as the person who queued it."""

    base: Context
    resources: Mapping[str, Any] = field(default_factory=dict)
    lease: timedelta = DEFAULT_LEASE
    heartbeat: float = HEARTBEAT_SECONDS
    clock: Callable[[], datetime] = utc_now
    name: str = field(default_factory=worker_name)

    def claim(self) -> Job | None:
        """Take the oldest runnable job (failing those whose tries ran out); None if idle."""
        db = self.base.db

        def work(conn: Connection) -> tuple[Job | None, bool]:
            now = self.clock()
            job = store.next_claimable(conn, now)
            if job is None:
                return None, False
            if job.state == RUNNING and job.attempts >= job.max_attempts:
                store.finish(
                    conn,
                    job.id,
                    state=FAILED,
                    now=now,
                    error=(
                        f"the worker running it stopped (no heartbeat since "
                        f"{job.lease_until:%Y-%m-%d %H:%M:%S} UTC) and it has had "
                        f"{job.attempts} of {job.max_attempts} tries"
                        if job.lease_until
                        else "its worker stopped"
                    ),
                )
                log.warning("job failed: lease ran out", extra={"job": job.id})
                return None, True
            if job.state == RUNNING:
                log.warning("job retried: its worker stopped", extra={"job": job.id})
            store.claim(conn, job.id, worker=self.name, now=now, lease_until=now + self.lease)
            return store.get(conn, job.id), False

        while True:
            job, again = db.write(work)
            if not again:
                return job

    def run_one(self) -> bool:
        """Claim and run one job; False when there was none."""
        job = self.claim()
        if job is None:
            return False
        self._run(job)
        return True

    def run(
        self, stop: threading.Event, *, until_idle: bool = False, poll_seconds: float = 1.0
    ) -> int:
        """Run jobs until `stop` is set (or, with `until_idle`, none is left); returns
        how many ran. A database outage pauses the loop instead of ending it."""
        done = 0
        while not stop.is_set():
            try:
                ran = self.run_one()
            except Exception as error:
                if not (
                    isinstance(error, DatabaseUnavailable)
                    or is_unavailable(error)
                    or is_transient(error)
                ):
                    raise
                log.warning("job queue unreachable: %s", error)
                stop.wait(poll_seconds * 5)
                continue
            if ran:
                done += 1
            elif until_idle:
                break
            else:
                stop.wait(poll_seconds)
        return done

    def _run(self, job: Job) -> None:
        db = self.base.db
        latest: list[float | None] = [None]
        stopped = threading.Event()

        def progress(fraction: float) -> None:
            latest[0] = max(0.0, min(1.0, float(fraction)))

        def beat() -> None:
            while not stopped.wait(self.heartbeat):
                try:
                    db.write(
                        lambda conn: store.renew(
                            conn,
                            job.id,
                            worker=self.name,
                            lease_until=self.clock() + self.lease,
                            progress=latest[0],
                        )
                    )
                except Exception as error:  # a missed beat is retried at the next one
                    log.warning("job heartbeat failed: %s", error, extra={"job": job.id})

        heart = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        heart.start()
        ctx = dataclasses.replace(
            self.base,
            actor=job.created_by,
            channel=_channel(job.channel),
            token_id=job.token_id,
            authenticated=True,
        )
        log.info("job started", extra={"job": job.id, "kind": job.kind, "attempt": job.attempts})
        try:
            result = handler_for(job.kind)(JobRun(job, ctx, self.resources, progress))
        except Exception as error:
            stopped.set()
            heart.join()
            self._failed(job, error)
            return
        stopped.set()
        heart.join()
        db.write(
            lambda conn: store.finish(
                conn, job.id, state=SUCCEEDED, now=self.clock(), result=result, worker=self.name
            )
        )
        log.info("job succeeded", extra={"job": job.id, "kind": job.kind})

    def _failed(self, job: Job, error: Exception) -> None:
        db = self.base.db
        retry = (
            isinstance(error, DatabaseUnavailable) or is_unavailable(error) or is_transient(error)
        ) and job.attempts < job.max_attempts
        if retry:
            db.write(lambda conn: store.requeue(conn, job.id, error=_message(error)))
            log.warning("job will be retried: %s", error, extra={"job": job.id})
            return
        if not isinstance(error, WarroomError):
            log.exception("job failed unexpectedly", exc_info=error, extra={"job": job.id})
        db.write(
            lambda conn: store.finish(
                conn,
                job.id,
                state=FAILED,
                now=self.clock(),
                error=_message(error),
                worker=self.name,
            )
        )
        log.info("job failed: %s", _message(error), extra={"job": job.id})


def _message(error: Exception) -> str:
    if isinstance(error, WarroomError):
        return "; ".join(str(p) for p in error.problems) or error.message
    return f"the job failed unexpectedly ({type(error).__name__}: {error}); this is a bug"


def _channel(value: str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        return Channel.SYSTEM
