"""Fixtures of the web tests: the app over SQLite with every person signed in on demand,
the reference incident loaded (made internal), and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.web import WebWorld, load_reference, web_world
from warroom.store.database import Database


@pytest.fixture
def web(sqlite_db: Database, tmp_path: Path, clock: object) -> Iterator[WebWorld]:
    with web_world(sqlite_db, tmp_path, clock=clock) as world:
        load_reference(sqlite_db)
        yield world
