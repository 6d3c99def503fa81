"""`warroom event add`: write to an incident's timeline."""

from __future__ import annotations

import click

from warroom.cli.common import ctx, parse_choice, parse_time, say
from warroom.cli.parts import group, incident_argument
from warroom.domain.audience import Audience
from warroom.domain.timeline import EntryKind
from warroom.services import incidents as service

app = group("Timeline entries.")


@app.command()
@incident_argument
@click.argument("text", help="What happened.")
@click.option(
    "--kind",
    default="update",
    help="trigger, impact_started, detected, declared, identified, mitigated, resolved, "
    "update, decision, customer_comms, note or change.",
)
@click.option("--at", help="When (UTC, e.g. 2025-11-08T14:15:00Z); default now.")
@click.option("--audience", default="internal", help="public, customer, internal or confidential.")
def add(incident_id: str, text: str, kind: str, at: str | None, audience: str) -> None:
    """Add an entry to an incident's timeline."""
    incident = service.add_event(
        ctx(),
        incident_id,
        kind=parse_choice(kind, EntryKind, "--kind"),
        text=text,
        at=parse_time(at, "--at"),
        audience=parse_choice(audience, Audience, "--audience"),
    )
    article = "an" if kind.strip().lower()[:1] in "aeiou" else "a"
    say(f"Added {article} {kind.strip().lower()} entry to {incident.id}")
