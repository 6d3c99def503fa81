"""`warroom worker`: run background jobs (impact runs) and deliver the outbox (notices,
subscriber updates) in the foreground."""

from __future__ import annotations

import dataclasses
import signal
import threading
from typing import Any

import click

from warroom.cli.common import state
from warroom.services.context import Channel, Context


def job_worker(context: Context, sources_file: Any) -> Any:
    """A job worker acting for the people who queue jobs, reading the sources file."""
    from warroom.formats.sources_file import NO_SOURCES, read_sources_file
    from warroom.services.jobs import Worker

    sources = read_sources_file(sources_file) if sources_file else NO_SOURCES
    base = dataclasses.replace(context, channel=Channel.SYSTEM, os_login=None)
    return Worker(base, resources={"sources": sources})


def courier(context: Context, settings: Any) -> Any:
    """An outbox courier delivering with the settings' mail server and limits."""
    from warroom.services.outbox import Courier, Delivery

    base = dataclasses.replace(context, channel=Channel.SYSTEM, os_login=None)
    return Courier(base, Delivery.from_settings(settings))


@click.command()
@click.option(
    "--until-idle",
    is_flag=True,
    help="Stop when no job is left and no message is due (for cron and tests).",
)
@click.option(
    "--poll",
    type=click.FloatRange(0.1, 60.0),
    default=1.0,
    help="Seconds between looks at an empty queue.",
)
def worker(until_idle: bool, poll: float) -> None:
    """Run background jobs (impact runs) and deliver the outbox (notices, updates).

    SIGTERM or Ctrl-C lets the current job finish and the message in hand be recorded.
    `warroom serve` runs one of these itself; run more on other machines to share the
    work: each job runs once, each message is sent once."""
    from warroom import logs

    settings = state.settings()
    logs.configure(settings.log_format)
    context = state.context()
    runner = job_worker(context, settings.sources_file)
    sender = courier(context, settings)
    stop = threading.Event()
    sent: list[int] = []
    failure: list[BaseException] = []

    def deliver() -> None:
        try:
            sent.append(sender.run(stop, until_idle=until_idle, poll_seconds=poll))
        except BaseException as error:  # reported by the main thread
            failure.append(error)
            stop.set()

    thread = threading.Thread(target=deliver, name="warroom-outbox", daemon=True)
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        thread.start()
        done = runner.run(stop, until_idle=until_idle, poll_seconds=poll)
        thread.join()
    finally:
        stop.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failure:
        raise failure[0]
    click.echo(
        f"{done} job(s) run, {sum(sent)} message(s) handed to a mail server or webhook", err=True
    )
