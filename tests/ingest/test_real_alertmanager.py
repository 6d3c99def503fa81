"""A real Alertmanager sends real webhooks and PagerDuty events; the adapters read them.

Alertmanager runs on loopback (tests/support/alertmanager.py) and posts to a small HTTP
receiver in this file; no warroom server is involved. Each test fires its own alertname,
so tests sharing the module's Alertmanager never see each other's groups.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from support.alertmanager import Alertmanager, check_config, go_time
from warroom.domain.alerts import AlertIn, AlertSource, AlertStatus, parse_instant
from warroom.ingest.alertmanager import parse_webhook
from warroom.ingest.pagerduty import accepted, parse_event

TOKEN = "intake-token-0f1e2d3c"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
RECEIVER = "team.ops"  # arrives regex-escaped: team\.ops
WAIT = 30.0  # seconds; a group flushes after 1 s, a resolution on the next 2 s tick


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: Any


class Inbox:
    """A loopback HTTP receiver that keeps every request; PagerDuty's path answers 202."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                with inbox._changed:
                    inbox.deliveries.append(Delivery(self.path, dict(self.headers), body))
                    inbox._changed.notify_all()
                if self.path == "/v2/enqueue":
                    answer, status = accepted(body.get("dedup_key") or "generated"), 202
                else:
                    answer, status = {"status": "ok"}, 200
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Inbox:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(
        self, predicate: Callable[[Delivery], bool], count: int = 1, timeout: float = WAIT
    ) -> list[Delivery]:
        """The first `count` deliveries matching `predicate`, waiting for them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [d for d in self.deliveries if predicate(d)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout} s for {count} deliveries, got "
                        f"{len(found)}: {[d.body for d in found]}"
                    )
                self._changed.wait(left)


def webhook_of(alertname: str, status: str) -> Callable[[Delivery], bool]:
    return lambda d: (
        d.path == "/alertmanager"
        and d.body.get("status") == status
        and d.body.get("commonLabels", {}).get("alertname") == alertname
    )


def page_of(alertname: str, action: str) -> Callable[[Delivery], bool]:
    return lambda d: (
        d.path == "/v2/enqueue"
        and d.body.get("event_action") == action
        and d.body.get("payload", {}).get("class") == alertname
    )


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with Inbox() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def alertmanager(inbox: Inbox) -> Iterator[Alertmanager]:
    with Alertmanager(
        webhook_url=f"{inbox.url}/alertmanager",
        bearer_token=TOKEN,
        pagerduty_url=f"{inbox.url}/v2/enqueue",
        routing_key=ROUTING_KEY,
        receiver=RECEIVER,
    ) as am:
        yield am


def a_while_ago(seconds: int = 5) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds)


def test_it_writes_a_config_amtool_accepts(tmp_path: Path) -> None:
    am = Alertmanager(
        webhook_url="http://127.0.0.1:9/alertmanager",
        bearer_token=TOKEN,
        pagerduty_url="http://127.0.0.1:9/v2/enqueue",
        receiver=RECEIVER,
        repeat_interval="3s",
        root=tmp_path,
    )
    result = check_config(am.write_config())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_it_reads_a_firing_alert_then_its_resolution_under_one_key(
    alertmanager: Alertmanager, inbox: Inbox
) -> None:
    labels = {
        "alertname": "CheckoutErrors",
        "service": "checkout",
        "severity": "critical",
        "region": "eu-west-1",
    }
    start = a_while_ago()
    starts_at = start.strftime("%Y-%m-%dT%H:%M:%S") + ".123456789Z"  # Go keeps nanoseconds
    alertmanager.fire(
        labels,
        annotations={"summary": "Checkout 5xx above 5%"},
        starts_at=starts_at,
        generator_url="http://prometheus.test/graph",
    )

    [firing_delivery] = inbox.wait_for(webhook_of("CheckoutErrors", "firing"))
    [firing] = parse_webhook(firing_delivery.body)
    assert firing == AlertIn(
        source=AlertSource.ALERTMANAGER,
        key=f"{firing.fingerprint}@{starts_at}",
        fingerprint=firing.fingerprint,
        status=AlertStatus.FIRING,
        name="CheckoutErrors",
        at=start + timedelta(microseconds=123456),
        starts_at=start + timedelta(microseconds=123456),
        group_key='{}:{alertname="CheckoutErrors", service="checkout"}',
        summary="Checkout 5xx above 5%",
        severity="critical",
        labels=labels,
        annotations={"summary": "Checkout 5xx above 5%"},
        generator_url="http://prometheus.test/graph",
        sender_url=firing.sender_url,
        receiver=RECEIVER,
    )
    assert len(firing.fingerprint) == 16
    assert firing_delivery.body["receiver"] == "team\\.ops"

    ends_at = go_time(a_while_ago(1))
    alertmanager.resolve(labels, starts_at=starts_at, ends_at=ends_at)
    [resolved_delivery] = inbox.wait_for(webhook_of("CheckoutErrors", "resolved"))
    [resolved] = parse_webhook(resolved_delivery.body)
    assert resolved.key == firing.key
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.ends_at == resolved.at == parse_instant(ends_at).at
    assert resolved.starts_at == firing.starts_at
    assert resolved.group_key == firing.group_key
    assert resolved.annotations == {}  # the resolving post had none: the latest post wins
    assert resolved.summary is None


def test_it_reads_a_group_of_two_alerts(alertmanager: Alertmanager, inbox: Inbox) -> None:
    starts_at = go_time(a_while_ago())
    alertmanager.post_alerts(
        [
            Alertmanager.alert(
                {
                    "alertname": "DiskAlmostFull",
                    "service": "db",
                    "instance": name,
                    "severity": "warning",
                },
                annotations={"summary": f"Disk > 90% on {name}"},
                starts_at=starts_at,
            )
            for name in ("db-1", "db-2")
        ]
    )
    # one notification holds both; on a busy machine the group's first one may go out
    # before the second alert joined it, and the next one (group_interval) holds both
    firing = webhook_of("DiskAlmostFull", "firing")
    [delivery] = inbox.wait_for(lambda d: firing(d) and len(d.body.get("alerts", [])) == 2)
    alerts = parse_webhook(delivery.body)
    assert [a.labels["instance"] for a in alerts] == ["db-1", "db-2"]
    assert [a.summary for a in alerts] == ["Disk > 90% on db-1", "Disk > 90% on db-2"]
    assert len({a.key for a in alerts}) == 2
    assert {a.group_key for a in alerts} == {'{}:{alertname="DiskAlmostFull", service="db"}'}
    assert all(a.status is AlertStatus.FIRING and a.severity == "warning" for a in alerts)


def test_it_receives_the_bearer_token_and_alertmanagers_headers(
    alertmanager: Alertmanager, inbox: Inbox
) -> None:
    alertmanager.fire({"alertname": "TokenCheck", "service": "auth"})
    [delivery] = inbox.wait_for(webhook_of("TokenCheck", "firing"))
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("Alertmanager/")


def test_it_reads_pagerduty_trigger_and_resolve_sharing_a_dedup_key(
    alertmanager: Alertmanager, inbox: Inbox
) -> None:
    labels = {"alertname": "SearchLatency", "service": "search", "severity": "warning"}
    starts_at = go_time(a_while_ago())
    alertmanager.fire(labels, annotations={"summary": "p99 > 2s"}, starts_at=starts_at)
    [trigger_delivery] = inbox.wait_for(page_of("SearchLatency", "trigger"))
    received = datetime(2026, 11, 26, 19, 30, tzinfo=UTC)
    trigger = parse_event(trigger_delivery.body, received_at=received, new_dedup_key=_no_key)
    assert trigger_delivery.body["routing_key"] == ROUTING_KEY
    assert trigger.status is AlertStatus.FIRING
    assert trigger.source is AlertSource.PAGERDUTY
    assert trigger.name == "SearchLatency"
    assert trigger.severity == "warning"
    assert trigger.summary is not None and "SearchLatency" in trigger.summary
    assert trigger.at == received  # Alertmanager sends no payload.timestamp

    alertmanager.resolve(labels, starts_at=starts_at)
    [resolve_delivery] = inbox.wait_for(page_of("SearchLatency", "resolve"))
    resolve = parse_event(resolve_delivery.body, received_at=received, new_dedup_key=_no_key)
    assert resolve.status is AlertStatus.RESOLVED
    assert resolve.key == trigger.key == trigger_delivery.body["dedup_key"]
    assert resolve.group_key == trigger.group_key


def test_it_reads_a_repeated_notification_to_the_same_alerts(inbox: Inbox) -> None:
    with Alertmanager(webhook_url=f"{inbox.url}/alertmanager", repeat_interval="3s") as am:
        am.fire(
            {"alertname": "RepeatedAlert", "service": "api", "severity": "critical"},
            annotations={"summary": "still broken"},
            starts_at=go_time(a_while_ago()),
        )
        first, again = inbox.wait_for(webhook_of("RepeatedAlert", "firing"), count=2)
    assert parse_webhook(first.body) == parse_webhook(again.body)


def _no_key() -> str:
    raise AssertionError("Alertmanager always sends a dedup_key")
