"""`warroom init`: create or upgrade the database."""

from __future__ import annotations

import typer

from warroom.cli.common import console, state


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init() -> None:
    """Create the database, or upgrade it to this version's schema. Safe to run again."""
    db = state.database()
    before, after = db.migrate()
    if before == after:
        console.print(f"Database {db.safe_url} is up to date (schema {after}).")
    elif before is None:
        console.print(f"Created the warroom database at {db.safe_url} (schema {after}).")
    else:
        console.print(f"Upgraded {db.safe_url} from schema {before} to {after}.")
