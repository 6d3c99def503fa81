"""The people of the access tests (Healthchecks' alice, bob and charlie): one per role."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from warroom.services.context import Context
from warroom.store import users
from warroom.store.database import Database

PEOPLE: dict[str, tuple[str, ...]] = {
    "Ada Admin": ("admin",),
    "Riley Responder": ("responder", "commander"),
    "Rex Responder": ("responder",),  # a responder alone, and a commander alone: the
    "Cora Commander": ("commander",),  # permissions table is checked for every role
    "Lee Legal": ("legal",),
    "Fay Finance": ("finance",),
    "Val Viewer": ("viewer",),
}


def register_people(db: Database, people: dict[str, tuple[str, ...]] = PEOPLE) -> None:
    with db.transaction() as conn:
        for name, roles in people.items():
            users.add(conn, name, roles, now=datetime(2025, 11, 1, tzinfo=UTC))


def acting(context: Context, person: str) -> Context:
    """The same context, another person acting."""
    return dataclasses.replace(context, actor=person)
