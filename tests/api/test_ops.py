"""/healthz, /readyz and /metrics: what a load balancer and Prometheus ask."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from support.api import ApiWorld
from warroom.api.app import create_app
from warroom.settings import Settings
from warroom.store.database import Database


def _client(url: str) -> TestClient:
    return TestClient(create_app(Settings.from_env({"WARROOM_DATABASE_URL": url})))


def test_it_is_healthy_and_ready(world: ApiWorld) -> None:
    assert world.get("/healthz", as_=None).json() == {"status": "ok"}
    ready = world.get("/readyz", as_=None)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_it_is_not_ready_when_the_sqlite_folder_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'warroom.db'}")
    db.migrate()
    db.dispose()
    with _client(db.url) as client:
        assert client.get("/readyz").status_code == 200
        shutil.rmtree(folder)
        client.app.state.warroom.db.dispose()  # the open connections went with the folder
        response = client.get("/readyz")
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert response.json()["code"] == "database_unavailable"
        assert client.get("/healthz").status_code == 200


def test_it_is_not_ready_before_the_schema_is_current(tmp_path: Path) -> None:
    with _client(f"sqlite:///{tmp_path / 'empty.db'}") as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["code"] == "database_not_ready"
    assert "warroom init" in response.json()["error"]


@pytest.fixture
def own_postgres() -> Iterator[object]:
    """A PostgreSQL server of this test alone: it gets stopped."""
    from conftest import need
    from support.pg_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        need("PostgreSQL", str(exc))
    yield server
    server.stop()


@pytest.mark.postgres
def test_it_is_not_ready_when_postgresql_stops(own_postgres: object) -> None:
    url = own_postgres.url()  # type: ignore[attr-defined]
    Database(url).migrate()
    with _client(url) as client:
        assert client.get("/readyz").status_code == 200
        own_postgres.stop()  # type: ignore[attr-defined]
        response = client.get("/readyz")
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert client.get("/healthz").status_code == 200


def test_it_answers_503_when_the_database_goes_away_under_a_request(tmp_path: Path) -> None:
    from support.api import api_world

    folder = tmp_path / "data"
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'warroom.db'}")
    db.migrate()
    with api_world(db, tmp_path) as world:
        shutil.rmtree(folder)
        db.dispose()
        response = world.get("/api/v1/incidents")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json()["code"] == "database_unavailable"


def test_it_counts_requests_by_route_template(world: ApiWorld) -> None:
    world.get("/api/v1/incidents/INC-2099-0101-001")
    world.get("/api/v1/incidents/INC-2099-0101-002")
    text = world.get("/metrics", as_=None).text
    line = next(
        x
        for x in text.splitlines()
        if x.startswith("warroom_http_requests_total{")
        and 'route="/api/v1/incidents/{incident_id}"' in x
        and 'status="404"' in x
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "warroom_http_request_duration_seconds_bucket{" in text
    assert 'warroom_db_pool_connections{state="in_use"}' in text
    assert "# TYPE warroom_intake_alerts_total counter" in text
