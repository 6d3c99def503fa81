"""`warroom serve`: the HTTP API under uvicorn, one or more worker processes, plus the job
worker, with JSON logs and a graceful shutdown on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading

import click

from warroom.cli.common import state
from warroom.domain.errors import InvalidInput, Problem


@click.command()
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, help="Port to listen on.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    help="Server processes. More than one needs PostgreSQL.",
)
@click.option(
    "--graceful-timeout",
    type=click.IntRange(1, 3600),
    default=30,
    help="On SIGTERM, seconds to let requests in flight finish.",
)
@click.option(
    "--jobs/--no-jobs",
    default=True,
    help="Also run background jobs and deliver the outbox here (one "
    "job worker and one courier for the whole server, whatever --workers).",
)
def serve(host: str, port: int, workers: int, graceful_timeout: int, jobs: bool) -> None:
    """Serve the API (/api/v1, docs at /docs, OpenAPI at /openapi.json), /healthz, /readyz
    and /metrics. SIGTERM stops taking connections and finishes requests in flight."""
    settings = state.settings()
    url = state._url(settings)
    database = state.database()
    database.check_ready()  # a wrong database stops here, not at the first request
    if workers > 1 and database.dialect == "sqlite":
        raise InvalidInput(
            [
                Problem(
                    "--workers",
                    "needs_postgresql",
                    "several server processes need PostgreSQL: SQLite has "
                    "one writer at a time; serve SQLite with --workers 1",
                )
            ]
        )
    database.dispose()
    # the server processes read their configuration from the environment
    os.environ["WARROOM_DATABASE_URL"] = url
    from warroom.api.metrics import MULTIPROC_ENV

    metrics_dir = None
    if workers > 1:
        metrics_dir = tempfile.mkdtemp(prefix="warroom-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir

    import uvicorn

    from warroom import logs

    logs.configure(settings.log_format)
    stop = threading.Event()
    runners: list[threading.Thread] = []
    if jobs:
        from warroom.cli.worker import courier, job_worker

        runners = [
            threading.Thread(
                target=job_worker(state.context(), settings.sources_file).run,
                args=(stop,),
                name="warroom-jobs",
                daemon=True,
            ),
            threading.Thread(
                target=courier(state.context(), settings).run,
                args=(stop,),
                name="warroom-outbox",
                daemon=True,
            ),
        ]
        for runner in runners:
            runner.start()
    # uvicorn re-raises the signal that stopped it once it has shut down gracefully; with
    # these handlers that ends here, so the job worker is stopped too and the exit is 0
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(
        f"warroom serving http://{host}:{port} — API docs at http://{host}:{port}/docs", err=True
    )
    try:
        uvicorn.run(
            "warroom.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logs.log_config(settings.log_format),
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=graceful_timeout,
        )
    finally:
        stop.set()
        for runner in runners:
            # a job still running after this keeps its lease until it runs out; the
            # next worker then retries it (a message in flight: see services.outbox)
            runner.join(timeout=graceful_timeout)
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
