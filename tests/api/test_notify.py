"""The notice, maintenance and subscription routes: the same services as the CLI, the
error envelope, and public subscription pages that need no token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.api import ApiWorld, api_world
from support.notices import INC, Recorder, approve, deliver, notice_world
from warroom.store.database import Database

NOTICES = f"/api/v1/incidents/{INC}/notices"


@pytest.fixture
def world(sqlite_db: Database, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(
        sqlite_db,
        tmp_path,
        WARROOM_PUBLIC_URL="https://status.example.com",
        WARROOM_SUBSCRIBE_LIMIT="6",
    ) as found:
        yield found


def test_notices_wait_for_the_approval_then_queue_once(world: ApiWorld) -> None:
    ctx = notice_world(world.context("Ada Admin"))
    refused = world.post(NOTICES, json={"audience": "customer"})
    assert refused.status_code == 409 and refused.json()["code"] == "not_approved"
    approve(ctx)
    queued = world.post(NOTICES, json={"audience": "customer"})
    assert queued.status_code == 202
    assert queued.json() | {"revision": ""} == {
        "incident_id": INC,
        "revision": "",
        "dry_run": False,
        "messages": 3,
        "customers": 2,
        "already_queued": 0,
        "without_contact": ["C3"],
        "not_affected": 0,
        "previews": None,
    }
    assert world.post(NOTICES, json={"audience": "customer"}).json()["already_queued"] == 2
    deliver(ctx, Recorder())
    status = world.get(NOTICES).json()
    assert status["count"] == 3 and status["customers"]["sent"] == 2
    assert {row["state"] for row in status["data"]} == {"sent"}


def test_a_dry_run_shows_what_would_go_where(world: ApiWorld) -> None:
    notice_world(world.context("Ada Admin"))
    found = world.post(NOTICES, json={"audience": "customer", "dry_run": True}).json()
    assert found["dry_run"] and found["messages"] == 3
    assert {(p["customer_id"], p["channel"]) for p in found["previews"]} == {
        ("C1", "email"),
        ("C1", "webhook"),
        ("C2", "email"),
    }
    assert world.get(NOTICES).json()["count"] == 0


def test_notice_requests_are_checked(world: ApiWorld) -> None:
    notice_world(world.context("Ada Admin"))
    assert world.post(NOTICES, json={"audience": "public"}).status_code == 422
    assert world.post(NOTICES, json={"audience": "customer", "extra": 1}).status_code == 422
    missing = world.post(
        NOTICES, json={"audience": "customer", "customer_id": "C9", "dry_run": True}
    )
    assert missing.status_code == 404 and "C9" in missing.json()["error"]


def test_maintenance_is_scheduled_announced_and_cancelled(world: ApiWorld) -> None:
    body = {
        "title": "Database upgrade",
        "starts_at": "2030-01-10T02:00:00Z",
        "ends_at": "2030-01-10T04:00:00+00:00",
        "services": ["db"],
    }
    made = world.post("/api/v1/maintenance", json=body)
    assert made.status_code == 201, made.text
    record = made.json()
    assert (record["state"], record["services"], record["regions"]) == ("scheduled", ["db"], None)
    path = f"/api/v1/maintenance/{record['id']}"
    announced = world.post(path + "/announce").json()
    assert announced["state"] == "announced" and announced["announced_at"].endswith("Z")
    assert world.post(path + "/announce").status_code == 409
    assert world.get("/api/v1/maintenance", as_="Val Viewer").json()["count"] == 1
    assert world.post(path + "/cancel").json()["state"] == "cancelled"
    backwards = world.post("/api/v1/maintenance", json=body | {"ends_at": body["starts_at"]})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "end"
    assert world.get("/api/v1/maintenance/999").status_code == 404


def test_subscribing_by_email_confirming_and_unsubscribing(world: ApiWorld) -> None:
    answer = world.post(
        "/api/v1/subscriptions",
        as_=None,
        json={"email": "follower@example.com", "services": ["checkout"]},
    )
    assert answer.status_code == 202 and answer.json()["state"] == "pending"
    recorder = Recorder()
    deliver(world.context("Ada Admin"), recorder)
    links = dict(re.findall(r"/api/v1/subscriptions/(\w+)\?token=([\w-]+)", recorder.sent[0].body))
    confirmed = world.get(f"/api/v1/subscriptions/confirm?token={links['confirm']}", as_=None)
    assert confirmed.status_code == 200 and "Subscribed" in confirmed.text
    assert confirmed.headers["content-type"].startswith("text/html")
    page = world.get(f"/api/v1/subscriptions/unsubscribe?token={links['unsubscribe']}", as_=None)
    assert 'method="post"' in page.text and "follower@example.com" in page.text
    one_click = world.post(
        f"/api/v1/subscriptions/unsubscribe?token={links['unsubscribe']}",
        as_=None,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.text
    bogus = world.get("/api/v1/subscriptions/confirm?token=" + "x" * 43, as_=None)
    assert bogus.status_code == 404 and "not valid" in bogus.text


def test_a_webhook_subscription_gets_its_secret_once(world: ApiWorld) -> None:
    answer = world.post(
        "/api/v1/subscriptions", as_=None, json={"webhook_url": "https://hooks.example.net/status"}
    )
    assert answer.status_code == 201
    found = answer.json()
    assert found["state"] == "active" and found["secret"].startswith("whsec_")
    assert found["unsubscribe_token"]
    gone = world.post(
        f"/api/v1/subscriptions/unsubscribe?token={found['unsubscribe_token']}", as_=None
    )
    assert gone.status_code == 200


def test_subscribe_requests_are_checked_and_limited(world: ApiWorld) -> None:
    for body in (
        {},
        {"email": "a@example.com", "webhook_url": "https://x.example/h"},
        {"email": "not an address"},
        {"webhook_url": "http://10.0.0.1/hook"},
    ):
        answer = world.post("/api/v1/subscriptions", as_=None, json=body)
        assert answer.status_code == 422, body
    for n in range(6):  # WARROOM_SUBSCRIBE_LIMIT=6 an hour from one client
        assert (
            world.post(
                "/api/v1/subscriptions", as_=None, json={"email": f"f{n}@example.com"}
            ).status_code
            == 202
        )
    limited = world.post("/api/v1/subscriptions", as_=None, json={"email": "f9@example.com"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3600"
    assert limited.json()["code"] == "rate_limited"
