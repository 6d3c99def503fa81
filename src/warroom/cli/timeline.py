"""`warroom event add`: write to an incident's timeline."""

from __future__ import annotations

from typing import Annotated

import typer

from warroom.cli.common import ctx, parse_choice, parse_time, say
from warroom.domain.audience import Audience
from warroom.domain.timeline import EntryKind
from warroom.services import incidents as service

app = typer.Typer(help="Timeline entries.", no_args_is_help=True)


@app.command()
def add(
    incident_id: Annotated[str, typer.Argument(metavar="INCIDENT")],
    text: Annotated[str, typer.Argument(help="What happened.")],
    kind: Annotated[
        str,
        typer.Option(
            help=(
                "trigger, impact_started, detected, declared, identified, mitigated, resolved, "
                "update, "
                "decision, customer_comms, note or change."
            )
        ),
    ] = "update",
    at: Annotated[
        str | None, typer.Option(help="When (UTC, e.g. 2025-11-08T14:15:00Z); default now.")
    ] = None,
    audience: Annotated[
        str, typer.Option(help="public, customer, internal or confidential.")
    ] = "internal",
) -> None:
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
