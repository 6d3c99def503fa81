"""Fixtures of the web tests: the app over SQLite with every person signed in on demand,
the reference incident loaded, and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cli_world import REFERENCE_INCIDENT
from support.web import WebWorld, web_world
from warroom.domain.incident import Classification
from warroom.formats.incident_file import read_incident_file
from warroom.services import incidents
from warroom.services.context import Context
from warroom.store.database import Database

from support.web import INC

__all__ = ["INC"]


def load_reference(db: Database, *, internal: bool = True) -> str:
    """The reference incident; made internal (it is confidential: viewers would not see it)."""
    parsed = read_incident_file(REFERENCE_INCIDENT)
    admin = Context(db=db, actor="Ada Admin")
    found = incidents.import_incidents(admin, parsed)[0].id
    if internal:
        incidents.update(admin, found, incidents.IncidentChanges(
            classification=Classification.INTERNAL))
    return found


@pytest.fixture
def web(sqlite_db: Database, tmp_path: Path, clock: object) -> Iterator[WebWorld]:
    with web_world(sqlite_db, tmp_path, clock=clock) as world:
        load_reference(sqlite_db)
        yield world
