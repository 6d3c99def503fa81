"""`warroom init`: create or upgrade the database, and register its first admin."""

from __future__ import annotations

import click

from warroom.cli.common import ctx, say, state
from warroom.services import sla, users


@click.command()
def init() -> None:
    """Create the database, or upgrade it to this version's schema. Safe to run again.

    On a database with nobody registered yet, the person running it (--as, WARROOM_USER,
    else the login name) becomes its first admin, who then registers the others with
    `warroom user add`."""
    db = state.database()
    before, after = db.migrate()
    if before == after:
        say(f"Database {db.safe_url} is up to date (schema {after}).")
    elif before is None:
        say(f"Created the warroom database at {db.safe_url} (schema {after}).")
    else:
        say(f"Upgraded {db.safe_url} from schema {before} to {after}.")
    first = users.bootstrap(ctx())
    if first is not None:
        say(
            f"Registered {first.name} as the first admin; add the others with "
            "`warroom user add NAME --role ...`."
        )
    upgraded = sla.upgrade_stored(ctx())
    if upgraded:
        say(
            f"Computed {upgraded} stored SLA assessment(s) again in the new format "
            "(`warroom incident audit ID` shows which approvals still stand)."
        )
