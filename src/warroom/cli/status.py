"""`warroom status export DIR`: the public status page as static files, for a CDN."""

from __future__ import annotations

from pathlib import Path

import click

from warroom.cli.common import ctx, say, state
from warroom.cli.files import write_folder
from warroom.cli.parts import PATH, group

app = group("The public status page.")


@app.command("export")
@click.argument("folder", metavar="DIR", type=PATH, help="Folder to write into (made if missing).")
def export(folder: Path) -> None:
    """Write the status page as it stands into DIR: index.html, feed.atom, status.json,
    status.css and warroom.js, all of them or (on a failure) none. Public content only,
    the same as /status; run it whenever public content changes (or every minute) and
    publish DIR."""
    from warroom.services.status import public_status
    from warroom.web.routes.status import documents, script, stylesheet

    status = public_status(ctx(), title=state.settings().status_title)
    docs = documents(status, exported=True)
    written = write_folder(
        folder,
        {
            "index.html": docs.html,
            "feed.atom": docs.feed,
            "status.json": docs.json,
            "status.css": stylesheet(),
            "warroom.js": script(),
        },
    )
    say(f"Wrote {len(written)} files to {folder}: {', '.join(p.name for p in written)}")
