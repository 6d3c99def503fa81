"""Fixtures shared by the whole suite: databases (SQLite and a real PostgreSQL), a fixed
clock, and the people of the access tests."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from support.demo import DemoData
from support.outside import need
from support.people import register_people
from warroom.services.context import Context
from warroom.store.database import Database


@pytest.fixture(scope="session", autouse=True)
def _private_plan_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled impact plans are kept in WARROOM_PLAN_CACHE; the suite keeps its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WARROOM_PLAN_CACHE", str(tmp_path_factory.mktemp("plans")))
        yield


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    """The demo data (3 million requests), generated once per test session: read it,
    never change it."""
    from support.demo import generator

    folder = tmp_path_factory.mktemp("demo")
    return DemoData(folder, generator().generate_demo(folder))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 11, 8, 14, 10, tzinfo=UTC))


# -- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    from support.pg_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        need("PostgreSQL", str(exc))
    yield server
    server.stop()


_template_ready: dict[str, bool] = {}
_counter = itertools.count(1)


def _postgres_database(server: object) -> Database:
    """A fresh, migrated database per test, cloned from a migrated template (fast)."""
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")  # type: ignore[attr-defined]
    with admin.connect() as conn:
        if not _template_ready.get("done"):
            conn.execute(text("DROP DATABASE IF EXISTS warroom_template"))
            conn.execute(text("CREATE DATABASE warroom_template"))
            template = Database(server.url("warroom_template"))  # type: ignore[attr-defined]
            template.migrate()
            template.dispose()
            _template_ready["done"] = True
        name = f"warroom_test_{os.getpid()}_{next(_counter)}"
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE warroom_template"))
    admin.dispose()
    return Database(server.url(name))  # type: ignore[attr-defined]


def _sqlite_database(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'warroom.db'}")
    db.migrate()
    return db


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = _sqlite_database(tmp_path)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        db = _sqlite_database(tmp_path)
    else:
        db = _postgres_database(request.getfixturevalue("pg_server"))
    yield db
    db.dispose()


@pytest.fixture
def postgres_db(pg_server: object) -> Iterator[Database]:
    """A fresh, migrated database on the suite's PostgreSQL server."""
    db = _postgres_database(pg_server)
    yield db
    db.dispose()


@pytest.fixture
def ctx(sqlite_db: Database, clock: Clock) -> Context:
    """Riley Responder (responder and commander) on SQLite, with PEOPLE registered."""
    register_people(sqlite_db)
    return Context(db=sqlite_db, actor="Riley Responder", clock=clock)


@pytest.fixture
def any_ctx(any_db: Database, clock: Clock) -> Context:
    """Riley Responder on SQLite and on PostgreSQL, with PEOPLE registered."""
    register_people(any_db)
    return Context(db=any_db, actor="Riley Responder", clock=clock)
