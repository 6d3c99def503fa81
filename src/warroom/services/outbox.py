"""Delivery through an outbox: messages stored with the decision to send them, delivered
by a worker, retried, and never sent twice.

Queueing (`queue`) happens inside the transaction that decides to send: a customer
notice in the one that checked the approval, a subscriber's update in the one that wrote
the public timeline entry. Each message has a unique key, (incident, customer, approved
fingerprint, channel) for a notice, so the same message cannot be queued twice.

The `Courier` (run by `warroom worker` and `warroom serve`) delivers one message at a
time, in steps:

1. one transaction settles the previous message's outcome, turns messages whose worker
   died while sending them into `uncertain`, checks the next due message is still wanted
   (`gate`: a notice's approval still stands, a subscriber still subscribes; else it is
   `cancelled`), and marks it `sending` under a lease;
2. the transport sends it, outside any transaction;
3. the next step's transaction records how that went: `sent`; `pending` again after a
   pause that doubles each time, for a temporary failure; `failed` for a permanent one
   or once out of tries; `uncertain` when the receiver may have it but did not say.

The guarantee, exactly: a message is handed to a transport at most once by warroom
itself. At most one message per worker is `sending` at any moment; if the worker dies
then (between the receiver accepting it and step 3 committing, or just before), that
message becomes `uncertain` and is never sent again automatically: a person checks and
may queue it again (`warroom notify retry --uncertain`). Everything not yet `sending` is
delivered by the next worker. docs/notify.md spells out the cases.

Kinds of message are a registry of modules (as `services.jobs.JOB_KINDS`), each with
`gate(conn, stored) -> str | None` (why it must not go out any more, or None) and
`prepare(conn, stored, courier) -> Outgoing` (the message as the transport sends it).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection

from warroom.notify import CHANNELS, Outgoing, Transport, TransportError, transport_class
from warroom.services.context import Context, utc_now
from warroom.services.jobs import worker_name
from warroom.store import outbox as store
from warroom.store.database import DatabaseUnavailable, is_transient, is_unavailable
from warroom.store.outbox import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    UNCERTAIN,
    Message,
    Stored,
)

if TYPE_CHECKING:
    from warroom.settings import Settings

__all__ = [
    "CANCELLED",
    "FAILED",
    "KINDS",
    "PENDING",
    "SENDING",
    "SENT",
    "UNCERTAIN",
    "Courier",
    "Delivery",
    "Message",
    "Stored",
    "queue",
]

log = logging.getLogger("warroom.outbox")

# kind -> module with its gate and prepare functions
KINDS: Mapping[str, str] = {
    "customer_notice": "warroom.services.notices",
    "status_update": "warroom.services.subscriptions",
    "maintenance": "warroom.services.subscriptions",
    "subscription_confirm": "warroom.services.subscriptions",
    "ping": "warroom.services.subscriptions",
}

LONGEST_PAUSE = timedelta(hours=6)
SWEEP_EVERY = timedelta(seconds=5)  # how often a courier looks for orphaned messages


class KindModule(Protocol):
    def gate(self, conn: Connection, stored: Stored, /) -> str | None: ...

    def prepare(self, conn: Connection, stored: Stored, courier: Courier, /) -> Outgoing: ...

    def gone(self, conn: Connection, stored: Stored, now: datetime, /) -> None: ...


def kind_module(kind: str) -> KindModule:
    module: KindModule = importlib.import_module(KINDS[kind])
    return module


def queue(
    conn: Connection,
    ctx: Context,
    messages: Iterable[Message],
    *,
    created_by: str,
    max_attempts: int,
) -> int:
    """Store messages inside the caller's transaction: they exist only if the decision
    to send them commits. Their keys must be new (callers skip those already queued)."""
    return store.add_many(
        conn, messages, now=ctx.now(), created_by=created_by, max_attempts=max_attempts
    )


@dataclass(frozen=True)
class Delivery:
    """How messages are delivered, from the settings (`from_settings`)."""

    max_attempts: int = 8
    backoff: timedelta = timedelta(seconds=60)
    timeout: float = 30.0
    public_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    smtp_password: str | None = None
    mail_from: str | None = None
    allow_private: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Delivery:
        return cls(
            max_attempts=settings.notify_max_attempts,
            backoff=timedelta(seconds=settings.notify_backoff_seconds),
            timeout=float(settings.notify_timeout_seconds),
            public_url=settings.public_url,
            smtp_url=settings.smtp_url,
            smtp_password=settings.smtp_password,
            mail_from=settings.mail_from,
            allow_private=settings.webhook_allow_private,
        )

    @property
    def channels(self) -> tuple[str, ...]:
        """What this courier delivers: email only where a mail server is set up (else
        emails wait, pending, for a worker that has one)."""
        mail = self.smtp_url is not None and self.mail_from is not None
        return tuple(c for c in CHANNELS if c != "email" or mail)

    @property
    def lease(self) -> timedelta:
        """How long a message may be `sending` before its worker is presumed dead: every
        network step of one try is bounded by `timeout`."""
        return timedelta(seconds=self.timeout * 2 + 1)

    def pause(self, attempts: int) -> timedelta:
        """The pause after the `attempts`-th try failed: backoff, doubled each time."""
        pause: timedelta = self.backoff * 2 ** max(0, attempts - 1)
        return min(pause, LONGEST_PAUSE)

    def transport(self, channel: str) -> Transport:
        if channel == "email":
            if self.smtp_url is None or self.mail_from is None:
                raise TransportError(
                    "email is not set up: set WARROOM_SMTP_URL and "
                    "WARROOM_MAIL_FROM where the worker runs"
                )
            from warroom.notify.email import parse_smtp_url

            made: Transport = transport_class("email")(
                parse_smtp_url(self.smtp_url),
                mail_from=self.mail_from,
                password=self.smtp_password,
                timeout=self.timeout,
            )
            return made
        made = transport_class(channel)(timeout=self.timeout, allow_private=self.allow_private)
        return made


@dataclass
class _Try:
    """A message handed to its transport, and how that went."""

    stored: Stored
    error: TransportError | None = None
    note: str | None = None


@dataclass
class Courier:
    """Delivers the outbox, one message at a time (see the module's docstring)."""

    base: Context
    delivery: Delivery = field(default_factory=Delivery)
    clock: Callable[[], datetime] = utc_now
    name: str = field(default_factory=lambda: "courier:" + worker_name())
    transports: dict[str, Transport] = field(default_factory=dict)
    _swept: datetime | None = None

    # -- one step -------------------------------------------------------------------------

    def step(self, done: _Try | None = None) -> tuple[Stored, Outgoing] | None:
        """Settle `done`, then claim the next due message; None when none is due."""

        def work(
            conn: Connection, settle: _Try | None
        ) -> tuple[tuple[Stored, Outgoing] | None, bool]:
            now = self.clock()
            if settle is not None:
                self._settle(conn, settle, now)
            if self._swept is None or now - self._swept >= SWEEP_EVERY:
                self._sweep(conn, now)
            for _ in range(store.CHUNK):
                stored = store.next_due(conn, now, self.delivery.channels)
                if stored is None:
                    return None, False
                module = kind_module(stored.message.kind)
                reason = module.gate(conn, stored)
                if reason is not None:
                    store.cancel(conn, stored.id, reason=reason)
                    log.info("message cancelled: %s", reason, extra={"outbox_id": stored.id})
                    continue
                lease_until = now + self.delivery.lease
                store.claim(conn, stored.id, worker=self.name, lease_until=lease_until)
                claimed = dataclasses.replace(
                    stored,
                    state=SENDING,
                    worker=self.name,
                    attempts=stored.attempts + 1,
                    lease_until=lease_until,
                )
                return (claimed, module.prepare(conn, claimed, self)), False
            return None, True  # a chunk cancelled: commit it, then look further

        settle = done
        while True:
            found, more = self.base.db.write(functools.partial(work, settle=settle))
            settle = None
            if found is not None or not more:
                return found

    def send(self, stored: Stored, message: Outgoing) -> _Try:
        """Hand one claimed message to its transport."""
        try:
            transport = self._transport(message.channel)
            note = transport.send(message)
        except TransportError as error:
            return _Try(stored, error=error)
        except Exception as error:  # a bug in a transport must not stop the courier
            log.exception("transport failed unexpectedly", extra={"outbox_id": stored.id})
            self._close(message.channel)
            return _Try(
                stored,
                error=TransportError(
                    f"sending failed unexpectedly ({type(error).__name__}: {error}); this is a bug"
                ),
            )
        return _Try(stored, note=note)

    # -- the loop ---------------------------------------------------------------------------

    def run(
        self, stop: threading.Event, *, until_idle: bool = False, poll_seconds: float = 1.0
    ) -> int:
        """Deliver until `stop` is set (or, with `until_idle`, until nothing is due);
        returns how many messages were handed to a transport. The message in hand is
        always settled before returning."""
        handed = 0
        done: _Try | None = None
        while True:
            try:
                claimed = self.step(done) if not stop.is_set() else None
            except Exception as error:
                if not _database_trouble(error):
                    raise
                log.warning("outbox unreachable: %s", error)
                stop.wait(poll_seconds * 5)
                continue
            if done is not None and claimed is None and stop.is_set():
                self._finish(done)
            done = None
            if claimed is None:
                self.close()
                if until_idle or stop.is_set():
                    return handed
                stop.wait(poll_seconds)
                continue
            done = self.send(*claimed)
            handed += 1

    def close(self) -> None:
        for channel in list(self.transports):
            self._close(channel)

    # -- plumbing ---------------------------------------------------------------------------

    def _finish(self, done: _Try) -> None:
        """Settle one outcome on its own (the last one, or outside `run`); retried while
        the database is away, so an outcome is not given up lightly."""

        def work(conn: Connection) -> None:
            self._settle(conn, done, self.clock())

        for attempt in range(10):
            try:
                self.base.db.write(work)
                return
            except Exception as error:
                if not _database_trouble(error) or attempt == 9:
                    raise
                threading.Event().wait(min(2.0**attempt * 0.1, 5.0))

    def _settle(self, conn: Connection, done: _Try, now: datetime) -> None:
        stored, error = done.stored, done.error
        if error is None:
            store.settle(
                conn, stored.id, worker=self.name, state=SENT, sent_at=now, error=done.note
            )
            log.info("message sent", extra={"outbox_id": stored.id, "kind": stored.message.kind})
            return
        text = error.message
        if error.uncertain:
            store.settle(conn, stored.id, worker=self.name, state=UNCERTAIN, error=text)
            log.warning("message uncertain: %s", text, extra={"outbox_id": stored.id})
        elif error.permanent:
            store.settle(conn, stored.id, worker=self.name, state=FAILED, error=text)
            if error.gone:
                kind_module(stored.message.kind).gone(conn, stored, now)
            log.warning("message failed: %s", text, extra={"outbox_id": stored.id})
        elif stored.attempts >= stored.max_attempts:
            store.settle(
                conn,
                stored.id,
                worker=self.name,
                state=FAILED,
                error=f"gave up after {stored.attempts} tries; the last: {text}",
            )
            log.warning(
                "message failed after %d tries: %s",
                stored.attempts,
                text,
                extra={"outbox_id": stored.id},
            )
        else:
            store.settle(
                conn,
                stored.id,
                worker=self.name,
                state=PENDING,
                error=text,
                next_attempt_at=now + self.delivery.pause(stored.attempts),
            )
            log.info("message will be retried: %s", text, extra={"outbox_id": stored.id})

    def _sweep(self, conn: Connection, now: datetime) -> None:
        """Messages whose worker stopped while sending them: maybe delivered, maybe not."""
        self._swept = now
        for stored in store.orphaned(conn, now):
            store.mark_uncertain(
                conn,
                stored.id,
                error=(
                    f"its worker ({stored.worker}) stopped while sending it (no outcome by "
                    f"{stored.lease_until:%Y-%m-%d %H:%M:%S} UTC): it may or may not have been "
                    "delivered, so it is not sent again by itself"
                ),
            )
            log.warning("message uncertain: its worker stopped", extra={"outbox_id": stored.id})

    def _transport(self, channel: str) -> Transport:
        if channel not in CHANNELS:
            raise TransportError(f"unknown channel {channel!r}", permanent=True)
        if channel not in self.transports:
            self.transports[channel] = self.delivery.transport(channel)
        return self.transports[channel]

    def _close(self, channel: str) -> None:
        transport = self.transports.pop(channel, None)
        if transport is not None:
            try:
                transport.close()
            except Exception as error:  # closing is best effort
                log.warning("closing the %s transport failed: %s", channel, error)


def _database_trouble(error: BaseException) -> bool:
    return isinstance(error, DatabaseUnavailable) or is_unavailable(error) or is_transient(error)
