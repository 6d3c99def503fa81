"""Status-page subscribers: double opt-in by email, webhooks active at once, updates built
from the public view only and sent to those whose services and regions they touch, a
one-click unsubscribe on every email, rate limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from support.notices import Recorder, deliver
from support.people import acting
from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, NotFound, TooManyRequests
from warroom.domain.scope import Scope
from warroom.domain.timeline import EntryKind
from warroom.notify import Outgoing, TransportError
from warroom.services import incidents, subscriptions
from warroom.services.context import Context
from warroom.store import outbox as outbox_store

LINK = re.compile(r"https://status\.example\.com/api/v1/subscriptions/(\w+)\?token=([\w-]+)")


def subscribe(
    ctx: Context,
    address: str,
    *,
    channel: str = "email",
    services: list[str] | None = None,
    regions: list[str] | None = None,
    client: str = "192.0.2.1",
    limit: int = 100,
) -> subscriptions.Subscribed:
    return subscriptions.subscribe(
        ctx,
        channel=channel,
        address=address,
        services=services,
        regions=regions,
        client=client,
        limit=limit,
        allow_private=True,
    )


def links(message: Outgoing) -> dict[str, str]:
    return {purpose: token for purpose, token in LINK.findall(message.body)}


def subscribed(ctx: Context, address: str, **options: object) -> None:
    """Subscribe and confirm, by the link in the confirmation email."""
    subscribe(ctx, address, **options)  # type: ignore[arg-type]
    recorder = Recorder()
    deliver(ctx, recorder)
    (confirmation,) = [m for m in recorder.sent if address in m.recipients]
    subscriptions.confirm(ctx, links(confirmation)["confirm"])


def declare(ctx: Context, *, services: tuple[str, ...] | None = None) -> str:
    return incidents.declare(
        acting(ctx, "Riley Responder"),
        title="Checkout errors",
        severity="SEV-2",
        scope=Scope(services=services),
        detected_at=datetime(2025, 11, 8, 14, 0, tzinfo=UTC),
    ).id


def test_an_email_subscription_waits_for_its_confirmation(ctx: Context) -> None:
    done = subscribe(ctx, "Follower@Example.COM")
    assert (done.state, done.secret) == ("pending", None)
    recorder = Recorder()
    deliver(ctx, recorder)
    (message,) = recorder.sent
    assert message.kind == "subscription_confirm"
    assert message.recipients == ("Follower@example.com",)
    found = links(message)
    assert set(found) == {"confirm", "unsubscribe"}
    assert message.headers["List-Unsubscribe"] == (
        f"<https://status.example.com/api/v1/subscriptions/unsubscribe?token="
        f"{found['unsubscribe']}>"
    )
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    incident = declare(ctx)
    incidents.add_event(
        acting(ctx, "Riley Responder"),
        incident,
        kind=EntryKind.UPDATE,
        text="We are looking into checkout errors",
        audience=Audience.PUBLIC,
    )
    recorder = Recorder()
    deliver(ctx, recorder)
    assert recorder.sent == []  # not confirmed: nothing but the confirmation
    assert subscriptions.confirm(ctx, found["confirm"]).state == "active"
    with pytest.raises(NotFound):  # a confirmation link works once
        subscriptions.confirm(ctx, found["confirm"])


def test_tokens_are_stored_hashed_and_never_in_the_stored_message(ctx: Context) -> None:
    subscribe(ctx, "follower@example.com")
    recorder = Recorder()
    deliver(ctx, recorder)
    token = links(recorder.sent[0])["confirm"]
    with ctx.db.reading() as conn:
        from sqlalchemy import text

        dump = " ".join(
            str(row)
            for table in ("outbox", "subscription_tokens", "subscribers")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        )
    assert token not in dump


def test_public_entries_reach_the_subscribers_they_concern(ctx: Context) -> None:
    subscribed(ctx, "all@example.com")
    subscribed(ctx, "checkout@example.com", services=["checkout"])
    subscribed(ctx, "search@example.com", services=["search"])
    incident = declare(ctx, services=("checkout",))
    riley = acting(ctx, "Riley Responder")
    incidents.add_event(
        riley, incident, kind=EntryKind.NOTE, text="Marcus thinks the pool config is wrong"
    )  # internal
    recorder = Recorder()
    deliver(ctx, recorder)
    assert recorder.sent == []
    incidents.add_event(
        riley,
        incident,
        kind=EntryKind.UPDATE,
        text="Checkout is failing for some customers",
        audience=Audience.PUBLIC,
    )
    deliver(ctx, recorder)
    assert sorted(m.recipients[0] for m in recorder.sent) == [
        "all@example.com",
        "checkout@example.com",
    ]
    first = recorder.sent[0]
    assert first.subject == "New incident: Checkout errors"
    assert "Checkout is failing for some customers" in first.body
    assert "Marcus" not in first.body and "Riley" not in first.body
    assert "services checkout" in first.body
    incidents.add_event(
        riley, incident, kind=EntryKind.RESOLVED, text="Fixed", audience=Audience.PUBLIC
    )
    recorder = Recorder()
    deliver(ctx, recorder)
    assert {m.subject for m in recorder.sent} == {"Resolved: Checkout errors"}
    assert all("Checkout is failing" not in m.body for m in recorder.sent)  # new ones only


def test_unsubscribing_takes_one_click_and_stops_what_was_queued(ctx: Context) -> None:
    subscribed(ctx, "follower@example.com")
    incident = declare(ctx)
    incidents.add_event(
        acting(ctx, "Riley Responder"),
        incident,
        kind=EntryKind.UPDATE,
        text="Looking into it",
        audience=Audience.PUBLIC,
    )
    recorder = Recorder()
    deliver(ctx, recorder)
    token = links(recorder.sent[0])["unsubscribe"]
    assert subscriptions.check_unsubscribe(ctx, token).state == "active"
    incidents.add_event(
        acting(ctx, "Riley Responder"),
        incident,
        kind=EntryKind.UPDATE,
        text="Still looking",
        audience=Audience.PUBLIC,
    )
    assert subscriptions.unsubscribe(ctx, token).state == "unsubscribed"
    assert subscriptions.unsubscribe(ctx, token).state == "unsubscribed"  # twice is fine
    recorder = Recorder()
    deliver(ctx, recorder)
    assert recorder.sent == []
    with ctx.db.reading() as conn:
        assert outbox_store.counts(conn)["cancelled"] == 1


def test_a_webhook_is_active_at_once_with_a_signed_ping(ctx: Context) -> None:
    done = subscribe(ctx, "https://hooks.example.net/status", channel="webhook")
    assert done.state == "active" and done.secret and done.unsubscribe_token
    recorder = Recorder()
    deliver(ctx, recorder)
    (ping,) = recorder.sent
    assert ping.secret == done.secret and ping.public_only
    assert json.loads(ping.body)["event"] == "subscription.created"
    incident = declare(ctx)
    incidents.add_event(
        acting(ctx, "Riley Responder"),
        incident,
        kind=EntryKind.UPDATE,
        text="Looking into it",
        audience=Audience.PUBLIC,
    )
    recorder = Recorder(script=[TransportError("410 Gone", gone=True)])
    deliver(ctx, recorder)
    body = json.loads(recorder.sent[0].body)
    assert body["event"] == "incident.new" and body["incident"]["id"] == incident
    assert body["updates"][0]["text"] == "Looking into it"
    assert "author" not in json.dumps(body)
    assert (
        subscriptions.check_unsubscribe(ctx, done.unsubscribe_token or "").state == "unsubscribed"
    )  # 410 Gone: no more


def test_bad_addresses_and_private_webhooks_are_refused(ctx: Context) -> None:
    for address in ("not an address", "a@b", "x@example.com\r\nBcc: y@example.com"):
        with pytest.raises(InvalidInput):
            subscribe(ctx, address)
    for url in (
        "ftp://example.com/",
        "http://127.0.0.1/hook",
        "http://10.0.0.7/hook",
        "https://intranet.local/hook",
    ):
        with pytest.raises(InvalidInput, match=r"not|URL"):
            subscriptions.subscribe(
                ctx,
                channel="webhook",
                address=url,
                services=None,
                regions=None,
                client="192.0.2.1",
                limit=100,
            )


def test_subscribing_is_rate_limited(ctx: Context) -> None:
    for n in range(6):
        subscribe(ctx, f"f{n}@example.com", limit=6)
    with pytest.raises(TooManyRequests):
        subscribe(ctx, "f7@example.com", limit=6)
    subscribe(ctx, "f8@example.com", client="198.51.100.9", limit=6)  # another client
    for _ in range(2):
        subscribe(ctx, "same@example.com", client="198.51.100.10", limit=6)
    with pytest.raises(TooManyRequests):  # a third as many per address
        subscribe(ctx, "same@example.com", client="198.51.100.11", limit=6)


def test_nothing_is_queried_when_nothing_public_changed(ctx: Context) -> None:
    incident = declare(ctx)
    incidents.add_event(
        acting(ctx, "Riley Responder"), incident, kind=EntryKind.NOTE, text="internal"
    )
    with ctx.db.reading() as conn:
        assert outbox_store.counts(conn)["pending"] == 0
