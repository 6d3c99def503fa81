"""`warroom action add|update`: corrective actions with owners and due dates."""

from __future__ import annotations

from typing import Any

import click

from warroom.cli.common import console, ctx, parse_choice, parse_day
from warroom.cli.parts import group, incident_argument
from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import ActionStatus
from warroom.services import incidents as service

app = group("Corrective actions.")


@app.command()
@incident_argument
@click.argument("title", help="What will be done.")
@click.option("--owner", help="Who owns it.")
@click.option("--due", help="Due date, YYYY-MM-DD.")
@click.option("--status", default="open", help="open, in_progress, done or cancelled.")
@click.option("--link", help="Ticket or document URL.")
@click.option(
    "--public",
    is_flag=True,
    help="List it in customer notices and on the status page (without its owner).",
)
def add(
    incident_id: str,
    title: str,
    owner: str | None,
    due: str | None,
    status: str,
    link: str | None,
    public: bool,
) -> None:
    """Add a corrective action to an incident."""
    action = service.add_action(
        ctx(),
        incident_id,
        title=title,
        owner=owner,
        due=parse_day(due, "--due"),
        status=parse_choice(status, ActionStatus, "--status"),
        link=link,
        audience=Audience.PUBLIC if public else Audience.INTERNAL,
    )
    console.print(f"Added action {action.number} to {incident_id}: {action.title}")


@app.command()
@incident_argument
@click.argument("number", type=int, help="The action's number (see incident show).")
@click.option("--title")
@click.option("--owner")
@click.option("--due", help="YYYY-MM-DD.")
@click.option("--status", help="open, in_progress, done or cancelled.")
@click.option("--link")
def update(
    incident_id: str,
    number: int,
    title: str | None,
    owner: str | None,
    due: str | None,
    status: str | None,
    link: str | None,
) -> None:
    """Change a corrective action (status, owner, due date, ...)."""
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = title
    if owner is not None:
        changes["owner"] = owner or None
    if due is not None:
        changes["due"] = parse_day(due, "--due") if due else None
    if status is not None:
        changes["status"] = parse_choice(status, ActionStatus, "--status")
    if link is not None:
        changes["link"] = link or None
    if not changes:
        raise InvalidInput(
            [
                Problem(
                    "",
                    "nothing_to_do",
                    "give at least one of --title, --owner, --due, --status, --link",
                )
            ]
        )
    action = service.update_action(ctx(), incident_id, number, **changes)
    console.print(
        f"Action {action.number} of {incident_id}: {action.status.value}, "
        f"owner {action.owner or '-'}, due {action.due or '-'}"
    )
