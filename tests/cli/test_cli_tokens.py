"""`warroom token ...`: created tokens are shown once, listed without secrets, revocable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from support.cli_world import Call, cli
from warroom.api.app import create_app
from warroom.settings import Settings


@pytest.fixture
def warroom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Call]:
    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    call = cli(capsys)
    call("init")
    call("user", "add", "Val Viewer", "--role", "viewer")
    yield call


def _client() -> TestClient:
    return TestClient(create_app(Settings.from_env()))


def test_it_prints_the_token_alone_and_it_works(warroom: Call) -> None:
    code, out, err = warroom("token", "create", "Ada Admin")
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n" and token.startswith("wr_")
    with _client() as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["user"]["name"] == "Ada Admin"


def test_it_never_lists_a_secret(warroom: Call) -> None:
    _, token, _ = warroom("token", "create", "Val Viewer", "--expires", "30")
    _, intake, _ = warroom("token", "create", "alertmanager", "--scope", "intake")
    secrets = [t.strip().split("_", 2)[2] for t in (token, intake)]
    code, listed, _ = warroom("token", "list")
    code_json, listed_json, _ = warroom("token", "list", "--json")
    assert code == code_json == 0
    for secret in secrets:
        assert secret not in listed and secret not in listed_json
    rows = json.loads(listed_json)["data"]
    assert {(r["name"], r["scope"], r["state"]) for r in rows} == {
        ("Val Viewer", "api", "active"),
        ("alertmanager", "intake", "active"),
    }
    assert next(r for r in rows if r["name"] == "Val Viewer")["expires_at"] is not None


def test_it_answers_401_once_a_token_is_revoked(warroom: Call) -> None:
    _, token, _ = warroom("token", "create", "Ada Admin")
    token = token.strip()
    token_id = token.split("_")[1]
    headers = {"Authorization": f"Bearer {token}"}
    with _client() as client:
        assert client.get("/api/v1/incidents", headers=headers).status_code == 200
        code, out, err = warroom("token", "revoke", token_id)
        assert code == 0 and token_id in out, err
        assert client.get("/api/v1/incidents", headers=headers).status_code == 401


def test_it_lets_only_an_admin_create_tokens_for_others(
    warroom: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_USER", "Val Viewer")
    code, out, err = warroom("token", "create", "Ada Admin")
    assert code == 3 and out == "" and "admin" in err
    code, out, _ = warroom("token", "create", "Val Viewer")
    assert code == 0 and out.startswith("wr_")
    code, _, err = warroom("token", "create", "alertmanager", "--scope", "intake")
    assert code == 3
    code, listed, _ = warroom("token", "list", "--json")
    assert [r["name"] for r in json.loads(listed)["data"]] == ["Val Viewer"]


def test_it_refuses_a_bad_scope_or_expiry(warroom: Call) -> None:
    code, out, err = warroom("token", "create", "Ada Admin", "--scope", "root")
    assert code == 1 and out == "" and "scope" in err
    code, out, err = warroom("token", "create", "Ada Admin", "--expires", "0")
    assert code == 1 and out == ""
