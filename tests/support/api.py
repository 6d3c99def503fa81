"""An API world for the HTTP tests: a database with the people of the access tests, a
token for each of them (and intake, expired and revoked ones), and a client of the app.

`world.get(path, as_="Lee Legal")` sends the request with that person's token;
`as_=None` sends none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from support.cli_world import POLICY, REFERENCE_INCIDENT, REGISTRY
from support.people import PEOPLE, register_people
from warroom.api.app import create_app
from warroom.formats.incident_file import read_incident_file
from warroom.services import incidents, tokens
from warroom.services.context import Context
from warroom.settings import Settings
from warroom.store.database import Database

INTAKE = "alertmanager"
EXPIRED = "expired token"
REVOKED = "revoked token"
NO_TOKEN = "no token"


def sources_file(folder: Path, requests: Path | None = None) -> Path:
    """A sources file naming the test policy and registry (and a request log)."""
    (folder / "policy.yaml").write_text(POLICY)
    (folder / "customers.csv").write_text(REGISTRY)
    logs = ""
    if requests is not None:
        logs = (
            f"request_logs:\n"
            f"  test: {{location: {requests}, map: {{ts: event_time, customer_id: tenant}}}}\n"
            f"  broken: {{location: {folder / 'missing.parquet'}}}\n"
        )
    path = folder / "sources.yaml"
    path.write_text(
        f"{logs}customers: {{default: customers.csv}}\npolicies: {{default: policy.yaml}}\n"
    )
    return path


@dataclass
class ApiWorld:
    db: Database
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, str] = field(default_factory=dict)

    def context(self, person: str) -> Context:
        return Context(db=self.db, actor=person)

    def headers(self, as_: str | None) -> dict[str, str]:
        if as_ is None or as_ == NO_TOKEN:
            return {}
        return {"Authorization": f"Bearer {self.tokens[as_]}"}

    def request(
        self, method: str, path: str, as_: str | None = "Ada Admin", **options: Any
    ) -> httpx.Response:
        headers = {**self.headers(as_), **options.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **options)

    def get(self, path: str, as_: str | None = "Ada Admin", **options: Any) -> httpx.Response:
        return self.request("GET", path, as_, **options)

    def post(self, path: str, as_: str | None = "Ada Admin", **options: Any) -> httpx.Response:
        return self.request("POST", path, as_, **options)

    def patch(self, path: str, as_: str | None = "Ada Admin", **options: Any) -> httpx.Response:
        return self.request("PATCH", path, as_, **options)

    def import_reference(self) -> str:
        parsed = read_incident_file(REFERENCE_INCIDENT)
        return incidents.import_incidents(self.context("Ada Admin"), parsed)[0].id


def make_tokens(world: ApiWorld) -> None:
    for person in PEOPLE:
        info, token = tokens.create(world.context(person), person)
        world.tokens[person], world.token_ids[person] = token, info.id
    admin = world.context("Ada Admin")
    info, token = tokens.create(admin, INTAKE, scope=tokens.Scope.INTAKE)
    world.tokens[INTAKE], world.token_ids[INTAKE] = token, info.id
    long_ago = dataclasses.replace(admin, clock=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    info, token = tokens.create(long_ago, "Ada Admin", expires_days=1)
    world.tokens[EXPIRED], world.token_ids[EXPIRED] = token, info.id
    info, token = tokens.create(admin, "Ada Admin")
    tokens.revoke(admin, info.id)
    world.tokens[REVOKED], world.token_ids[REVOKED] = token, info.id


@contextmanager
def api_world(
    db: Database,
    folder: Path,
    *,
    requests: Path | None = None,
    clock: Callable[[], datetime] | None = None,
    **settings: str,
) -> Iterator[ApiWorld]:
    """The app over `db` (migrated, empty), with PEOPLE and their tokens (`clock`: the
    server's, when a test moves time)."""
    register_people(db)
    env = {
        "WARROOM_DATABASE_URL": db.url,
        "WARROOM_SOURCES_FILE": str(sources_file(folder, requests)),
        **settings,
    }
    app = create_app(Settings.from_env(env), db=db, clock=clock)
    with TestClient(app, raise_server_exceptions=True) as client:
        world = ApiWorld(db=db, client=client)
        make_tokens(world)
        yield world
