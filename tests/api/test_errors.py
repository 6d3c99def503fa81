"""Every error answers with one envelope, the CLI's (Datasette's test_error_shape.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.api import ApiWorld
from warroom.schemas.base import ErrorEnvelope

ENVELOPE_KEYS = {"ok", "error", "code", "errors"}
ITEM_KEYS = {"field", "code", "message", "source", "line"}


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["ok"] is False and body["code"] == code and body["error"]
    assert body["errors"] and all(set(item) == ITEM_KEYS for item in body["errors"])
    ErrorEnvelope.model_validate(body)
    return body


def test_it_answers_401_with_a_bearer_challenge(world: ApiWorld) -> None:
    response = world.get("/api/v1/incidents", as_=None)
    assert_envelope(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = world.get("/api/v1/incidents", headers={"Authorization": "Bearer wr_nonsense"}, as_=None)
    assert_envelope(bad, 401, "unauthenticated")


def test_it_answers_403_naming_the_role_needed(world: ApiWorld) -> None:
    response = world.post(
        "/api/v1/incidents",
        as_="Val Viewer",
        json={"title": "Checkout errors", "severity": "SEV-2"},
    )
    body = assert_envelope(response, 403, "permission_denied")
    assert "responder" in body["error"]


def test_it_answers_404_for_an_unknown_incident_and_route(world: ApiWorld) -> None:
    assert_envelope(world.get("/api/v1/incidents/INC-2099-0101-001"), 404, "not_found")
    assert_envelope(world.get("/api/v1/nothing-here"), 404, "not_found")


def test_it_answers_409_for_an_illegal_transition(world: ApiWorld) -> None:
    incident = world.post("/api/v1/incidents", json={"title": "Errors", "severity": "SEV-2"})
    path = f"/api/v1/incidents/{incident.json()['id']}/status"
    assert_envelope(world.post(path, json={"status": "declared"}), 409, "illegal_transition")


def test_it_answers_413_for_a_body_over_the_limit(world: ApiWorld) -> None:
    huge = {"title": "x", "severity": "SEV-2", "description": "y" * (2 * 1024 * 1024)}
    assert_envelope(world.post("/api/v1/incidents", json=huge), 413, "payload_too_large")


def test_it_answers_413_for_a_chunked_body_over_the_limit(world: ApiWorld) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    response = world.post(
        "/api/v1/incidents", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_envelope(response, 413, "payload_too_large")


def test_it_answers_415_for_a_body_that_is_not_json(world: ApiWorld) -> None:
    response = world.post(
        "/api/v1/incidents",
        content=b"title=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_envelope(response, 415, "unsupported_media_type")


def test_it_answers_400_for_malformed_json(world: ApiWorld) -> None:
    response = world.post(
        "/api/v1/incidents", content=b'{"title": ', headers={"content-type": "application/json"}
    )
    assert_envelope(response, 400, "malformed_body")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "x", "severity": "SEV-2", "classification": "secret"}, "classification"),
        ({"title": "x"}, "severity"),
        ({"title": "x", "severity": "SEV-9"}, "severity"),
        ({"title": "x", "severity": "SEV-2", "regions": "eu"}, "regions"),
        ({"title": "x", "severity": "SEV-2", "detected_at": "0001-01-01T00:00:00Z"}, "detected_at"),
    ],
)
def test_it_answers_422_naming_the_field(world: ApiWorld, body: dict[str, Any], field: str) -> None:
    found = assert_envelope(world.post("/api/v1/incidents", json=body), 422, "invalid")
    assert [e["field"] for e in found["errors"]] == [field]


def test_it_answers_422_for_a_bad_query_parameter(world: ApiWorld) -> None:
    found = assert_envelope(world.get("/api/v1/incidents?since=yesterday"), 422, "invalid")
    assert found["errors"][0]["field"] == "since"
