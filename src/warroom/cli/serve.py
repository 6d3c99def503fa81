"""`warroom serve`: the HTTP API under uvicorn, one or more worker processes, plus the job
worker, with JSON logs and a graceful shutdown on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from typing import Annotated

import typer

from warroom.cli.common import state
from warroom.domain.errors import InvalidInput, Problem


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes. More than one needs PostgreSQL.")
    ] = 1,
    graceful_timeout: Annotated[
        int,
        typer.Option(
            "--graceful-timeout",
            min=1,
            max=3600,
            help="On SIGTERM, seconds to let requests in flight finish.",
        ),
    ] = 30,
    jobs: Annotated[
        bool,
        typer.Option(
            "--jobs/--no-jobs",
            help="Also run background jobs and deliver the outbox here (one "
            "job worker and one courier for the whole server, whatever --workers).",
        ),
    ] = True,
) -> None:
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
    typer.echo(
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
