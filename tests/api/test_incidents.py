"""/api/v1/incidents: the same JSON as the CLI, pages, filters, declaring and changing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from support.api import ApiWorld
from warroom.cli.app import run
from warroom.services import incidents


def test_it_shows_exactly_what_incident_show_json_prints(
    world: ApiWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    incident_id = world.import_reference()
    monkeypatch.setenv("WARROOM_DATABASE_URL", world.db.url)
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    capsys.readouterr()
    assert run(["incident", "show", incident_id, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    response = world.get(f"/api/v1/incidents/{incident_id}")
    assert response.status_code == 200
    assert response.json() == printed


def test_it_lists_the_same_rows_as_incident_list_json(
    world: ApiWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world.import_reference()
    monkeypatch.setenv("WARROOM_DATABASE_URL", world.db.url)
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    capsys.readouterr()
    assert run(["incident", "list", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    page = world.get("/api/v1/incidents").json()
    assert page["data"] == printed["data"] and page["count"] == printed["count"] == 1
    assert (page["limit"], page["offset"], page["next"]) == (50, 0, None)


def _declare(world: ApiWorld, count: int) -> list[str]:
    ctx = world.context("Riley Responder")
    start = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
    return [
        incidents.declare(
            ctx,
            title=f"Incident {n}",
            severity="SEV-2" if n % 2 else "SEV-3",
            detected_at=start + timedelta(days=n),
        ).id
        for n in range(count)
    ]


def test_it_filters_active_incidents_and_by_text(world: ApiWorld) -> None:
    from warroom.domain.lifecycle import Status

    ids = _declare(world, 4)
    ctx = world.context("Riley Responder")
    incidents.change_status(
        ctx, ids[1], Status.RESOLVED, at=datetime(2025, 10, 3, 12, 0, tzinfo=UTC)
    )
    active = world.get("/api/v1/incidents?active=true").json()
    assert sorted(r["id"] for r in active["data"]) == sorted([ids[0], ids[2], ids[3]])
    both = world.get("/api/v1/incidents?active=true&status=resolved").json()
    assert both["data"] == [] and both["count"] == 0  # active and resolved: none
    found = world.get("/api/v1/incidents", params={"q": "incident 2"}).json()
    assert [r["id"] for r in found["data"]] == [ids[2]]


@pytest.mark.postgres
def test_it_pages_newest_first_with_a_next_link(any_world: ApiWorld) -> None:
    ids = _declare(any_world, 7)
    first = any_world.get("/api/v1/incidents?limit=3").json()
    assert [r["id"] for r in first["data"]] == ids[::-1][:3]
    assert first["count"] == 7
    seen = [r["id"] for r in first["data"]]
    link = first["next"]
    while link:
        page = any_world.get(link).json()
        seen += [r["id"] for r in page["data"]]
        link = page["next"]
    assert seen == ids[::-1]
    filtered = any_world.get("/api/v1/incidents?severity=SEV-2&since=2025-10-03").json()
    assert [r["id"] for r in filtered["data"]] == [
        i for n, i in enumerate(ids) if n % 2 and n >= 2
    ][::-1]


@pytest.mark.postgres
def test_it_pages_over_what_a_viewer_may_see(any_world: ApiWorld) -> None:
    secret = any_world.import_reference()  # confidential; Val Viewer is not named on it
    ids = _declare(any_world, 3)
    as_viewer = any_world.get("/api/v1/incidents?limit=2", as_="Val Viewer").json()
    assert as_viewer["count"] == 3 and secret not in [r["id"] for r in as_viewer["data"]]
    rest = any_world.get(as_viewer["next"], as_="Val Viewer").json()
    assert [r["id"] for r in as_viewer["data"] + rest["data"]] == ids[::-1]
    assert any_world.get(f"/api/v1/incidents/{secret}", as_="Val Viewer").status_code == 404
    assert any_world.get("/api/v1/incidents", as_="Lee Legal").json()["count"] == 4


def test_it_refuses_a_page_larger_than_a_thousand(world: ApiWorld) -> None:
    response = world.get("/api/v1/incidents?limit=1001")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"
    assert world.get("/api/v1/incidents?limit=1000").status_code == 200


def test_it_declares_an_incident_and_points_to_it(world: ApiWorld) -> None:
    response = world.post(
        "/api/v1/incidents",
        as_="Riley Responder",
        json={
            "title": "Checkout errors",
            "severity": "SEV-2",
            "commander": "Riley Responder",
            "detected_at": "2025-11-08T14:02:00Z",
            "regions": ["eu-west-1"],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] == "INC-2025-1108-001" and body["commander"] == "Riley Responder"
    assert body["scope"] == {"regions": ["eu-west-1"], "services": None}
    assert response.headers["Location"].endswith("/api/v1/incidents/INC-2025-1108-001")
    assert world.get(response.headers["Location"]).json() == body


def test_it_names_the_field_of_a_bad_body(world: ApiWorld) -> None:
    response = world.post(
        "/api/v1/incidents",
        json={"title": "x" * 501, "severity": "SEV-2", "detected_at": "2025-11-08T14:02:00"},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"title", "detected_at"}
    assert world.get("/api/v1/incidents").json()["count"] == 0  # nothing half-written


def test_it_changes_status_assigns_and_updates(world: ApiWorld) -> None:
    incident_id = _declare(world, 1)[0]
    path = f"/api/v1/incidents/{incident_id}"
    moved = world.post(path + "/status", json={"status": "identified", "message": "found it"})
    assert moved.status_code == 200 and moved.json()["status"] == "identified"
    illegal = world.post(path + "/status", json={"status": "declared"})
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_transition"
    assigned = world.post(path + "/assign", json={"person": "Lee Legal", "role": "scribe"})
    assert assigned.json()["roles"]["scribe"] == "Lee Legal"
    updated = world.patch(path, json={"root_cause": "A bad deploy", "regions": ["eu"]})
    assert updated.status_code == 200
    assert updated.json()["root_cause"] == "A bad deploy"
    assert updated.json()["scope"] == {"regions": ["eu"], "services": None}
    cleared = world.patch(path, json={"regions": None})
    assert cleared.json()["scope"]["regions"] is None


def test_it_adds_timeline_entries_and_actions(world: ApiWorld) -> None:
    incident_id = _declare(world, 1)[0]
    path = f"/api/v1/incidents/{incident_id}"
    entry = world.post(
        path + "/timeline", json={"text": "Rolled back", "kind": "mitigated", "audience": "public"}
    )
    assert entry.status_code == 201
    assert entry.json()["text"] == "Rolled back" and entry.json()["author"] == "Ada Admin"
    assert world.get(path + "/timeline").json()["count"] == 3
    action = world.post(
        path + "/actions",
        json={"title": "Canary deploys", "owner": "Riley Responder", "due": "2025-12-15"},
    )
    assert action.status_code == 201 and action.json()["number"] == 1
    changed = world.patch(path + "/actions/1", json={"status": "done", "owner": None})
    assert changed.json()["status"] == "done" and changed.json()["owner"] is None
    assert world.patch(path + "/actions/9", json={"status": "done"}).status_code == 404


def test_it_writes_audit_entries_naming_the_person_and_the_token(world: ApiWorld) -> None:
    world.post(
        "/api/v1/incidents",
        as_="Riley Responder",
        json={"title": "Checkout errors", "severity": "SEV-2"},
    )
    from warroom.store import audit

    with world.db.reading() as conn:
        entry = audit.entries(conn, action_prefix="incident.declare")[-1]
    assert entry.actor == "Riley Responder" and entry.channel == "api"
    assert entry.token_id == world.token_ids["Riley Responder"] and entry.os_login is None
