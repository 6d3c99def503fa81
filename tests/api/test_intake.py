"""The intake routes: what each source sends, what it gets back, what is stored (once)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Clock
from support.api import INTAKE, NO_TOKEN, ApiWorld, api_world
from warroom.services import tokens
from warroom.services.tokens import INTAKE_CACHE_TTL
from warroom.store.database import Database

FIXTURES = Path(__file__).parent.parent / "fixtures" / "alertmanager"
AM = "/api/v1/intake/alertmanager"
PD = "/api/v1/intake/pagerduty"
CHANGE = "/api/v1/intake/change"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


FIRING = fixture("alertmanager-0.25-webhook-firing-amtool.json")
RESOLVED = fixture("alertmanager-0.25-webhook-resolved-api.json")
PD_TRIGGER = fixture("alertmanager-0.25-pagerduty-v2-trigger.json")


def test_it_opens_an_incident_and_answers_only_after_storing(any_world: ApiWorld) -> None:
    answer = any_world.post(AM, as_=INTAKE, json=FIRING)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "received": 1,
        "alerts": [
            {
                "source": "alertmanager",
                "key": "69c2e62f0b0aec37@2026-11-26T19:23:18.441250922Z",
                "outcome": "created",
                "incident_id": "INC-2026-1126-001",
                "opened": True,
            }
        ],
    }
    shown = any_world.get("/api/v1/incidents/INC-2026-1126-001").json()
    assert shown["timeline"][0]["kind"] == "detected"
    assert shown["timeline"][0]["author"] == "alertmanager"
    alerts = any_world.get("/api/v1/incidents/INC-2026-1126-001/alerts").json()
    assert [a["name"] for a in alerts["data"]] == ["HighErrorRate"]


def test_the_same_delivery_again_changes_nothing(any_world: ApiWorld) -> None:
    any_world.post(AM, as_=INTAKE, json=FIRING)
    before = any_world.get("/api/v1/incidents/INC-2026-1126-001").json()
    again = any_world.post(AM, as_=INTAKE, json=FIRING)
    assert again.status_code == 200 and again.json()["alerts"][0]["outcome"] == "duplicate"
    assert any_world.get("/api/v1/incidents/INC-2026-1126-001").json() == before
    assert any_world.get("/api/v1/incidents").json()["count"] == 1


def test_a_resolution_reaches_the_timeline(any_world: ApiWorld) -> None:
    any_world.post(AM, as_=INTAKE, json=FIRING)
    done = any_world.post(AM, as_=INTAKE, json=RESOLVED)
    assert done.json()["alerts"][0]["outcome"] == "updated"
    shown = any_world.get("/api/v1/incidents/INC-2026-1126-001").json()
    assert shown["status"] == "investigating"  # people resolve incidents
    assert any(e["text"].startswith("Alert resolved: HighErrorRate") for e in shown["timeline"])


def test_unknown_fields_are_ignored(world: ApiWorld) -> None:
    newer = json.loads(json.dumps(FIRING))
    newer["notification_reason"] = "repeat"  # Alertmanager 0.32+
    newer["alerts"][0]["routeLabels"] = {"team": "a"}
    assert world.post(AM, as_=INTAKE, json=newer).status_code == 200


def test_a_malformed_body_is_a_4xx_naming_the_problem(world: ApiWorld) -> None:
    wrong_version = {**FIRING, "version": "3"}
    answer = world.post(AM, as_=INTAKE, json=wrong_version)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "version"
    bad_time = json.loads(json.dumps(FIRING))
    bad_time["alerts"][0]["startsAt"] = "yesterday"
    answer = world.post(AM, as_=INTAKE, json=bad_time)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "alerts[0].startsAt"
    answer = world.post(
        AM, as_=INTAKE, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["code"] == "malformed_body"
    answer = world.post(
        AM,
        as_=INTAKE,
        content=b"version=4",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 415
    huge = world.post(
        AM,
        as_=INTAKE,
        content=b"{" + b" " * (17 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and "WARROOM_MAX_INTAKE_BODY_BYTES" in huge.text
    assert world.get("/api/v1/alerts").json()["count"] == 0  # nothing stored


def test_a_group_of_a_thousand_alerts_fits_the_intake_limit(world: ApiWorld) -> None:
    """Alertmanager does not retry a 413: the largest group the docs suggest (max_alerts:
    1000, alerts with long annotations: over 2 MiB) must be taken, though the API's other
    routes refuse bodies over 1 MiB."""
    (template,) = FIRING["alerts"]
    alerts = [
        {
            **template,
            "fingerprint": f"{n:016x}",
            "labels": {**template["labels"], "instance": f"db-{n}"},
            "annotations": {**template["annotations"], "description": "x" * 2000},
        }
        for n in range(1000)
    ]
    body = {**FIRING, "alerts": alerts}
    assert len(json.dumps(body)) > 2 * 1024 * 1024
    answer = world.post(AM, as_=INTAKE, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["received"] == 1000


def test_only_intake_tokens_and_admins_post_alerts(world: ApiWorld) -> None:
    assert world.post(AM, as_=NO_TOKEN, json=FIRING).status_code == 401
    for person in ("Val Viewer", "Riley Responder", "Lee Legal"):
        assert world.post(AM, as_=person, json=FIRING).status_code == 403
    assert world.get("/api/v1/incidents", as_=INTAKE).status_code == 403
    assert world.post(AM, as_="Ada Admin", json=FIRING).status_code == 200


def test_a_revoked_intake_token_stops_within_the_servers_delay(
    sqlite_db: Database, tmp_path: Path, clock: Clock
) -> None:
    with api_world(sqlite_db, tmp_path, clock=clock) as world:
        assert world.post(AM, as_=INTAKE, json=FIRING).status_code == 200
        tokens.revoke(world.context("Ada Admin"), world.token_ids[INTAKE])
        clock.advance(seconds=INTAKE_CACHE_TTL.total_seconds() - 1)
        assert world.post(AM, as_=INTAKE, json=FIRING).status_code == 200  # still known
        clock.advance(seconds=1)
        assert world.post(AM, as_=INTAKE, json=FIRING).status_code == 401


def test_pagerduty_senders_authenticate_with_the_routing_key(world: ApiWorld) -> None:
    event = {**PD_TRIGGER, "routing_key": world.tokens[INTAKE]}
    answer = world.post(PD, as_=NO_TOKEN, json=event)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": PD_TRIGGER["dedup_key"],
    }
    stranger = {**PD_TRIGGER, "routing_key": "0123456789abcdef0123456789abcdef"}
    assert world.post(PD, as_=NO_TOKEN, json=stranger).status_code == 401
    no_summary = json.loads(json.dumps(event))
    del no_summary["payload"]["summary"]
    invalid = world.post(PD, as_=NO_TOKEN, json=no_summary)
    assert invalid.status_code == 400
    assert invalid.json()["status"] == "invalid event"
    assert invalid.json()["message"] == "Event object is invalid"
    without_key = {k: v for k, v in event.items() if k != "dedup_key"}
    made = world.post(PD, as_=NO_TOKEN, json=without_key).json()
    assert made["dedup_key"] and made["dedup_key"] != PD_TRIGGER["dedup_key"]


def test_a_change_is_stored_once_and_listed(world: ApiWorld) -> None:
    change = {
        "id": "deploy-42",
        "kind": "deploy",
        "at": "2026-11-26T19:00:00Z",
        "service": "checkout",
        "summary": "checkout v2.14.0",
        "author": "Sam",
    }
    first = world.post(CHANGE, as_=INTAKE, json=change)
    assert first.status_code == 200 and first.json()["outcome"] == "created"
    assert world.post(CHANGE, as_=INTAKE, json=change).json()["outcome"] == "duplicate"
    world.post(AM, as_=INTAKE, json=FIRING)
    shown = world.get("/api/v1/incidents/INC-2026-1126-001").json()
    assert [e["text"] for e in shown["timeline"] if e["kind"] == "change"] == [
        "Possible trigger: Deploy on checkout: checkout v2.14.0 (by Sam)"
    ]
    assert [c["key"] for c in world.get("/api/v1/changes").json()["data"]] == ["deploy-42"]
    bad = world.post(CHANGE, as_=INTAKE, json={"kind": "deploy", "summary": "x"})
    assert bad.status_code == 422


def test_warnings_wait_for_triage(world: ApiWorld) -> None:
    world.post(AM, as_=INTAKE, json=fixture("alertmanager-0.25-webhook-group-two-alerts.json"))
    waiting = world.get("/api/v1/alerts", params={"unattached": "true"}).json()
    assert waiting["count"] == 2 and {a["routed_severity"] for a in waiting["data"]} == {"SEV-3"}
    # `count` is every match, whatever the page holds
    one = world.get("/api/v1/alerts", params={"unattached": "true", "limit": 1}).json()
    assert len(one["data"]) == 1 and one["count"] == 2


def test_intake_outcomes_are_counted(world: ApiWorld) -> None:
    world.post(AM, as_=INTAKE, json=FIRING)
    world.post(AM, as_=INTAKE, json=FIRING)
    world.post(AM, as_=INTAKE, json={**FIRING, "version": "3"})
    exposed = world.get("/metrics", as_=None).text
    for outcome in ("opened", "duplicate", "rejected"):
        assert f'outcome="{outcome}",source="alertmanager"' in exposed, outcome


def test_change_events_are_counted_by_outcome(world: ApiWorld) -> None:
    change = {
        "id": "deploy-7",
        "kind": "deploy",
        "summary": "checkout v2.15.0",
        "service": "checkout",
        "at": "2026-11-26T13:40:00Z",
    }

    def counted() -> list[float]:  # the counters are the process's: compare before/after
        exposed = world.get("/metrics", as_=None).text
        found = []
        for outcome in ("created", "duplicate", "rejected"):
            line = next(
                (
                    x
                    for x in exposed.splitlines()
                    if x.startswith("warroom_intake_alerts_total{")
                    and f'outcome="{outcome}"' in x
                    and 'source="change"' in x
                ),
                " 0",
            )
            found.append(float(line.rsplit(" ", 1)[1]))
        return found

    before = counted()
    world.post(CHANGE, as_=INTAKE, json=change)
    world.post(CHANGE, as_=INTAKE, json=change)
    world.post(CHANGE, as_=INTAKE, json={"kind": "deploy", "summary": "x"})
    assert [a - b for a, b in zip(counted(), before, strict=True)] == [1.0, 1.0, 1.0]
