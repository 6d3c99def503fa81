"""Status-page subscribers: subscribe (email with double opt-in, or webhook), confirm,
unsubscribe, and the updates they get through the outbox.

What subscribers hear about is public content only, built from the public view of an
incident (`domain.redaction.incident_view(..., Audience.PUBLIC)`), the same rule as the
status page: a new public timeline entry (the first one announces the incident), and
announced maintenance; each to the subscribers whose services and regions it touches.
The messages are queued in the transaction that wrote the entry or announced the
maintenance (`public_changed`, `maintenance_announced`), and cost one query when nobody
subscribes.

Links are tokens: random, kept only as SHA-256 hashes, made by the worker when it sends
each email (`prepare`), so the stored message never holds one. Every email carries a
one-click unsubscribe link and the RFC 8058 headers (`List-Unsubscribe`,
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`).

Nobody signs in to subscribe, so nothing here is authorized; subscribing is
rate-limited per client address and per address subscribed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import Connection

from warroom.domain.audience import Audience
from warroom.domain.contacts import email_problem, webhook_url_problem
from warroom.domain.errors import InvalidInput, NotFound, Problem, TooManyRequests
from warroom.domain.incident import Incident
from warroom.domain.maintenance import MaintenanceRecord
from warroom.domain.redaction import EntryView, IncidentView, incident_view
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.domain.window import iso_z
from warroom.notify import Outgoing
from warroom.notify.signing import new_secret
from warroom.services.context import Context
from warroom.services.outbox import Courier, Message, Stored, queue
from warroom.store import outbox as outbox_store
from warroom.store import subscribers as store
from warroom.store.subscribers import ACTIVE, PENDING, UNSUBSCRIBED, Subscriber

CONFIRM_FOR = timedelta(days=7)  # a confirmation link works this long
WINDOW = timedelta(hours=1)  # the rate limits' window
MAX_SCOPE = 100
CHANNELS = ("email", "webhook")
API_PATH = "/api/v1/subscriptions"


@dataclass(frozen=True)
class Subscribed:
    """What a subscribe request answers: nothing about others; for a webhook, its
    secret and unsubscribe token, shown this once."""

    channel: str
    state: str
    id: str | None = None  # webhook only
    secret: str | None = None
    unsubscribe_token: str | None = None


# -- subscribing ------------------------------------------------------------------------------


def subscribe(
    ctx: Context,
    *,
    channel: str,
    address: str,
    services: Sequence[str] | None,
    regions: Sequence[str] | None,
    client: str,
    limit: int,
    allow_private: bool = False,
) -> Subscribed:
    """Subscribe an email (a confirmation email is queued; nothing else is sent until the
    link in it is opened) or a webhook (active at once; a signed ping is queued)."""
    address = address.strip()
    scope = _scope(services, regions)
    if channel == "email":
        problem = email_problem(address)
        local, _, domain = address.rpartition("@")
        address = f"{local}@{domain.lower()}" if problem is None else address
    elif channel == "webhook":
        problem = webhook_url_problem(address) or (
            None if allow_private else _private_host(address)
        )
    else:
        raise InvalidInput(
            [
                Problem(
                    "channel",
                    "bad_choice",
                    f"unknown channel {channel!r}; expected email or webhook",
                )
            ]
        )
    if problem:
        raise InvalidInput([Problem("address", f"bad_{channel}", problem)])
    key = address.lower()

    def work(conn: Connection) -> Subscribed:
        now = ctx.now()
        _limit(conn, now, client=client, address_key=key, limit=limit)
        sid = secrets.token_hex(12)
        if channel == "email":
            store.add(
                conn, Subscriber(sid, channel, address, scope, PENDING, None, now), address_key=key
            )
            _queue_one(conn, ctx, _confirm_message(ctx, sid, address, scope))
            return Subscribed(channel, PENDING)
        secret, token = new_secret(), secrets.token_urlsafe(32)
        store.add(
            conn, Subscriber(sid, channel, address, scope, ACTIVE, secret, now), address_key=key
        )
        store.add_token(
            conn,
            token_hash=_hash(token),
            subscriber_id=sid,
            purpose="unsubscribe",
            now=now,
            expires_at=None,
        )
        _queue_one(conn, ctx, _ping_message(sid, address, now))
        return Subscribed(channel, ACTIVE, id=sid, secret=secret, unsubscribe_token=token)

    return ctx.db.write(work)


def confirm(ctx: Context, token: str) -> Subscriber:
    """Open a confirmation link: the subscription becomes active (replacing the address's
    earlier one)."""

    def work(conn: Connection) -> Subscriber:
        now = ctx.now()
        sid = store.token(conn, _hash(token), "confirm", now)
        found = store.get(conn, sid) if sid else None
        if found is None or found.state == UNSUBSCRIBED:
            raise NotFound("this confirmation link is not valid (any more): subscribe again")
        if found.state == PENDING:
            store.set_state(conn, found.id, ACTIVE, now=now)
            store.replace_others(conn, found, address_key=found.address.lower(), now=now)
        store.drop_tokens(conn, found.id, "confirm")
        updated = store.get(conn, found.id)
        assert updated is not None
        return updated

    return ctx.db.write(work)


def unsubscribe(ctx: Context, token: str) -> Subscriber:
    """One click: the subscription ends, and what was queued for it is not sent."""

    def work(conn: Connection) -> Subscriber:
        now = ctx.now()
        found = _by_token(conn, token, now)
        if found.state != UNSUBSCRIBED:
            store.set_state(conn, found.id, UNSUBSCRIBED, now=now)
            for message_id in outbox_store.pending_for_subscriber(conn, found.id):
                outbox_store.cancel(conn, message_id, reason="unsubscribed")
        updated = store.get(conn, found.id)
        assert updated is not None
        return updated

    return ctx.db.write(work)


def check_unsubscribe(ctx: Context, token: str) -> Subscriber:
    """The subscription an unsubscribe link is for (the page that asks to confirm)."""
    with ctx.db.reading() as conn:
        return _by_token(conn, token, ctx.now())


def _by_token(conn: Connection, token: str, now: datetime) -> Subscriber:
    sid = store.token(conn, _hash(token), "unsubscribe", now)
    found = store.get(conn, sid) if sid else None
    if found is None:
        raise NotFound("this unsubscribe link is not valid")
    return found


def _limit(conn: Connection, now: datetime, *, client: str, address_key: str, limit: int) -> None:
    since = now - WINDOW
    store.forget_attempts(conn, now - 2 * WINDOW)
    per_address = max(1, limit // 3)
    if (
        store.attempts_since(conn, since, client=client) >= limit
        or store.attempts_since(conn, since, address_key=address_key) >= per_address
    ):
        raise TooManyRequests("too many subscribe requests; try again in an hour")
    store.add_attempt(conn, at=now, client=client[:64], address_key=address_key[:300])


def _scope(services: Sequence[str] | None, regions: Sequence[str] | None) -> Scope:
    problems = []
    for name, values in (("services", services), ("regions", regions)):
        if values is None:
            continue
        if len(values) > MAX_SCOPE or any(not v.strip() or len(v) > 100 for v in values):
            problems.append(
                Problem(name, "bad_list", f"{name}: up to {MAX_SCOPE} names of 1 to 100 characters")
            )
    if problems:
        raise InvalidInput(problems)
    return Scope(
        regions=tuple(dict.fromkeys(r.strip() for r in regions)) if regions else None,
        services=tuple(dict.fromkeys(s.strip() for s in services)) if services else None,
    )


def _private_host(url: str) -> str | None:
    """A webhook host that is plainly not on the internet (the worker checks again with
    DNS before every delivery)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return f"{host} is not a public host: subscribers' webhooks go to the internet"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not ip.is_global:
        return f"{host} is not a public address: subscribers' webhooks go to the internet"
    return None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- what subscribers hear --------------------------------------------------------------------


def public_changed(
    conn: Connection, ctx: Context, after: Incident, *, before: Sequence[TimelineEntry]
) -> int:
    """Queue the incident's public timeline entries that are not in `before` (its public
    entries before the change) to the subscribers they concern; returns how many
    messages. Called where incidents are saved; cheap when nothing public changed or
    nobody subscribes."""
    new = after.public_entries_since(before)
    if not new or not store.any_active(conn):
        return 0
    view = incident_view(after, Audience.PUBLIC)
    keys = {_entry_key(e) for e in new}
    entries = [v for v in view.timeline if (v.at, v.kind, v.text) in keys]
    first = not before
    resolved = any(e.kind is EntryKind.RESOLVED for e in entries)
    digest = hashlib.sha256(
        json.dumps(sorted((iso_z(e.at), e.kind.value, e.text) for e in entries)).encode()
    ).hexdigest()[:16]
    content = _UpdateContent(ctx, view, entries, first=first, resolved=resolved)
    return _fan_out(
        conn,
        ctx,
        f"status:{after.id}:{digest}",
        "status_update",
        (s for s in store.active(conn) if _follows(s.scope, after.scope)),
        content.email,
        content.webhook,
        incident_id=after.id,
    )


def maintenance_announced(conn: Connection, ctx: Context, record: MaintenanceRecord) -> int:
    """Queue an announced maintenance window to the subscribers whose services and
    regions it touches."""
    if not store.any_active(conn):
        return 0
    content = _MaintenanceContent(ctx, record)
    return _fan_out(
        conn,
        ctx,
        f"maintenance:{record.id}",
        "maintenance",
        (s for s in store.active(conn) if record.touches(s.scope)),
        content.email,
        content.webhook,
    )


def _follows(interest: Scope, scope: Scope) -> bool:
    """A subscriber following `interest` hears about something touching `scope`."""

    def meets(one: tuple[str, ...] | None, other: tuple[str, ...] | None) -> bool:
        return one is None or other is None or not set(one).isdisjoint(other)

    return meets(interest.regions, scope.regions) and meets(interest.services, scope.services)


def _entry_key(entry: TimelineEntry) -> tuple[datetime, EntryKind, str]:
    return entry.at, entry.kind, entry.text


def _fan_out(
    conn: Connection,
    ctx: Context,
    base: str,
    kind: str,
    audience: Iterable[Subscriber],
    email: _Render,
    webhook: _Render,
    incident_id: str | None = None,
) -> int:
    count = 0
    for batch in outbox_store.chunks(audience):
        wanted = [(f"{base}:{s.id}:{s.channel}", s) for s in batch]
        existing = outbox_store.existing_keys(conn, (key for key, _ in wanted))
        count += queue(
            conn,
            ctx,
            (
                (email if s.channel == "email" else webhook)(key, s, kind, incident_id)
                for key, s in wanted
                if key not in existing
            ),
            created_by="status page",
            max_attempts=ctx.notify_max_attempts,
        )
    return count


class _Render(Protocol):
    def __call__(
        self, key: str, subscriber: Subscriber, kind: str, incident_id: str | None, /
    ) -> Message: ...


_MARK = "@@{purpose}:{nonce}@@"


class _Content:
    """Content rendered once, then stamped per subscriber: each message gets its own
    link markers (replaced by real links when sent), unguessable by whoever wrote the
    public text, so no text can forge one."""

    template = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.nonce = uuid.uuid4().hex
        self._email: dict[str, tuple[str, str, str]] = {}

    def context(self) -> dict[str, object]:
        raise NotImplementedError

    def payload(self) -> dict[str, object]:
        raise NotImplementedError

    def scope_text(self, scope: Scope) -> str:
        parts = []
        if scope.services is not None:
            parts.append("services " + ", ".join(scope.services))
        if scope.regions is not None:
            parts.append("regions " + ", ".join(scope.regions))
        return "; ".join(parts)

    def email(
        self, key: str, subscriber: Subscriber, kind: str, incident_id: str | None
    ) -> Message:
        scope_text = self.scope_text(subscriber.scope)
        if scope_text not in self._email:
            from warroom.notify import messages

            self._email[scope_text] = messages.email(
                self.template,
                **self.context(),
                interest=scope_text,
                status_title=_title(self.ctx),
                unsubscribe_url=_MARK.format(purpose="unsubscribe", nonce=self.nonce),
            )
        subject, text, html = self._email[scope_text]
        token = uuid.uuid4().hex
        return Message(
            key=key,
            kind=kind,
            channel="email",
            recipient=subscriber.address,
            subject=subject,
            body=text.replace(self.nonce, token),
            body_html=html.replace(self.nonce, token),
            message_id=f"<{token}.{kind}@warroom>",
            incident_id=incident_id,
            subscriber_id=subscriber.id,
        )

    def webhook(
        self, key: str, subscriber: Subscriber, kind: str, incident_id: str | None
    ) -> Message:
        token = uuid.uuid4().hex
        body = {"type": kind, "delivery": token, **self.payload()}
        return Message(
            key=key,
            kind=kind,
            channel="webhook",
            recipient=subscriber.address,
            body=json.dumps(body, ensure_ascii=False, sort_keys=True),
            message_id=token,
            incident_id=incident_id,
            subscriber_id=subscriber.id,
        )


class _UpdateContent(_Content):
    template = "status_update"

    def __init__(
        self,
        ctx: Context,
        view: IncidentView,
        entries: list[EntryView],
        *,
        first: bool,
        resolved: bool,
    ) -> None:
        super().__init__(ctx)
        self.view, self.entries, self.first, self.resolved = view, entries, first, resolved

    def context(self) -> dict[str, object]:
        return {
            "incident": self.view,
            "entries": self.entries,
            "first": self.first,
            "resolved": self.resolved,
            "status_url": _status_url(self.ctx),
            "affects": self.scope_text(self.view.scope),
        }

    def payload(self) -> dict[str, object]:
        view = self.view
        return {
            "event": "incident.new"
            if self.first
            else ("incident.resolved" if self.resolved else "incident.update"),
            "incident": {
                "id": view.id,
                "title": view.title,
                "severity": view.severity,
                "status": view.status,
                "summary": view.summary,
                "scope": _scope_data(view.scope),
            },
            "updates": [
                {"at": iso_z(e.at), "kind": e.kind.value, "text": e.text} for e in self.entries
            ],
            "status_page": _status_url(self.ctx),
        }


class _MaintenanceContent(_Content):
    template = "maintenance"

    def __init__(self, ctx: Context, record: MaintenanceRecord) -> None:
        super().__init__(ctx)
        self.record = record

    def context(self) -> dict[str, object]:
        return {
            "record": self.record,
            "status_url": _status_url(self.ctx),
            "affects": self.scope_text(self.record.scope),
        }

    def payload(self) -> dict[str, object]:
        record = self.record
        return {
            "event": "maintenance.scheduled",
            "maintenance": {
                "id": record.id,
                "title": record.title,
                "description": record.description,
                "starts_at": iso_z(record.starts_at),
                "ends_at": iso_z(record.ends_at),
                "scope": _scope_data(record.scope),
                "announced_at": iso_z(record.announced_at) if record.announced_at else None,
            },
            "status_page": _status_url(self.ctx),
        }


def _confirm_message(ctx: Context, sid: str, address: str, scope: Scope) -> Message:
    from warroom.notify import messages

    nonce = uuid.uuid4().hex
    subject, text, html = messages.email(
        "subscription_confirm",
        status_title=_title(ctx),
        interest=_Content(ctx).scope_text(scope),
        confirm_url=_MARK.format(purpose="confirm", nonce=nonce),
        unsubscribe_url=_MARK.format(purpose="unsubscribe", nonce=nonce),
    )
    return Message(
        key=f"confirm:{sid}",
        kind="subscription_confirm",
        channel="email",
        recipient=address,
        subject=subject,
        body=text,
        body_html=html,
        message_id=f"<{nonce}.subscription_confirm@warroom>",
        subscriber_id=sid,
    )


def _ping_message(sid: str, url: str, now: datetime) -> Message:
    token = uuid.uuid4().hex
    body = {
        "type": "ping",
        "delivery": token,
        "event": "subscription.created",
        "subscription": sid,
        "at": iso_z(now),
    }
    return Message(
        key=f"ping:{sid}",
        kind="ping",
        channel="webhook",
        recipient=url,
        body=json.dumps(body, sort_keys=True),
        message_id=token,
        subscriber_id=sid,
    )


def _queue_one(conn: Connection, ctx: Context, message: Message) -> None:
    queue(conn, ctx, [message], created_by="status page", max_attempts=ctx.notify_max_attempts)


def _scope_data(scope: Scope) -> dict[str, list[str] | None]:
    return {
        "services": list(scope.services) if scope.services is not None else None,
        "regions": list(scope.regions) if scope.regions is not None else None,
    }


def _status_url(ctx: Context) -> str:
    return f"{ctx.public_url}/status"


def _title(ctx: Context) -> str:
    return urlsplit(ctx.public_url).netloc or "status"


def subscribers(ctx: Context, *, limit: int = 1000, offset: int = 0) -> list[Subscriber]:
    """Everyone subscribed, for the people who manage contacts."""
    from warroom.domain.permissions import Action
    from warroom.services.access import authorize

    with ctx.db.reading() as conn:
        authorize(conn, ctx, Action.CONTACT_MANAGE)
        return store.listed(conn, limit=limit, offset=offset)


# -- the outbox's hooks -------------------------------------------------------------------


def gate(conn: Connection, stored: Stored) -> str | None:
    """Subscriber messages go only to subscriptions that still stand (a confirmation
    only to one still waiting for it)."""
    state = store.state_of(conn, stored.message.subscriber_id or "")
    wanted = PENDING if stored.message.kind == "subscription_confirm" else ACTIVE
    if state != wanted:
        return f"the subscription is {state or 'gone'}"
    return None


def prepare(conn: Connection, stored: Stored, courier: Courier) -> Outgoing:
    """Make the message's links now (tokens stored hashed), and its headers."""
    message = stored.message
    sid = message.subscriber_id or ""
    now = courier.clock()
    if message.channel == "webhook":
        found = store.get(conn, sid)
        return Outgoing(
            id=stored.id,
            kind=message.kind,
            channel="webhook",
            recipients=(message.recipient,),
            body=message.body,
            message_id=message.message_id,
            secret=found.webhook_secret if found else None,
            public_only=True,
        )
    nonce = message.message_id.strip("<>").split(".", 1)[0]
    base = f"{courier.delivery.public_url}{API_PATH}"
    links = {}
    for purpose, expires in (("unsubscribe", None), ("confirm", now + CONFIRM_FOR)):
        mark = _MARK.format(purpose=purpose, nonce=nonce)
        if mark not in message.body and mark not in (message.body_html or ""):
            continue
        token = secrets.token_urlsafe(32)
        store.add_token(
            conn,
            token_hash=_hash(token),
            subscriber_id=sid,
            purpose=purpose,
            now=now,
            expires_at=expires,
        )
        links[mark] = f"{base}/{purpose}?token={token}"
    body, html = message.body, message.body_html or ""
    for mark, url in links.items():
        body, html = body.replace(mark, url), html.replace(mark, url)
    unsubscribe = links.get(_MARK.format(purpose="unsubscribe", nonce=nonce))
    headers = (
        {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        if unsubscribe
        else {}
    )
    return Outgoing(
        id=stored.id,
        kind=message.kind,
        channel="email",
        recipients=(message.recipient,),
        body=body,
        body_html=html or None,
        message_id=message.message_id,
        subject=message.subject,
        headers=headers,
    )


def gone(conn: Connection, stored: Stored, now: datetime) -> None:
    """A subscriber's webhook answered 410 Gone: it is unsubscribed."""
    sid = stored.message.subscriber_id
    if sid:
        store.set_state(conn, sid, UNSUBSCRIBED, now=now)
