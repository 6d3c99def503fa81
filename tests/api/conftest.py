"""Fixtures of the API tests: the app over SQLite (and PostgreSQL where it matters)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.api import ApiWorld, api_world
from warroom.store.database import Database


@pytest.fixture
def world(sqlite_db: Database, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(sqlite_db, tmp_path) as found:
        yield found


@pytest.fixture
def any_world(any_db: Database, tmp_path: Path) -> Iterator[ApiWorld]:
    """The same test over SQLite and over a real PostgreSQL server."""
    with api_world(any_db, tmp_path) as found:
        yield found
