"""`warroom worker`: run background jobs (impact runs) in the foreground."""

from __future__ import annotations

import dataclasses
import signal
import threading
from typing import Annotated, Any

import typer

from warroom.cli.common import state
from warroom.services.context import Channel, Context


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def job_worker(context: Context, sources_file: Any) -> Any:
    """A job worker acting for the people who queue jobs, reading the sources file."""
    from warroom.formats.sources_file import NO_SOURCES, read_sources_file
    from warroom.services.jobs import Worker

    sources = read_sources_file(sources_file) if sources_file else NO_SOURCES
    base = dataclasses.replace(context, channel=Channel.SYSTEM, os_login=None)
    return Worker(base, resources={"sources": sources})


def worker(
    until_idle: Annotated[bool, typer.Option(
        "--until-idle", help="Stop when no job is left (for cron and tests).")] = False,
    poll: Annotated[float, typer.Option(min=0.1, max=60.0,
                                        help="Seconds between looks at an empty queue.")]
    = 1.0,
) -> None:
    """Run queued background jobs (impact runs) until stopped (SIGTERM or Ctrl-C lets the
    current job finish). `warroom serve` runs one of these itself; run more on other
    machines to share the work: each job runs once."""
    from warroom import logs

    settings = state.settings()
    logs.configure(settings.log_format)
    runner = job_worker(state.context(), settings.sources_file)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        done = runner.run(stop, until_idle=until_idle, poll_seconds=poll)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    typer.echo(f"{done} job(s) run", err=True)
