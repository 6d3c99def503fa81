"""`warroom action add|update`: corrective actions with owners and due dates."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from warroom.cli.common import console, ctx, parse_choice, parse_day
from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import ActionStatus
from warroom.services import incidents as service

app = typer.Typer(help="Corrective actions.", no_args_is_help=True)


@app.command()
def add(
    incident_id: Annotated[str, typer.Argument(metavar="INCIDENT")],
    title: Annotated[str, typer.Argument(help="What will be done.")],
    owner: Annotated[str | None, typer.Option(help="Who owns it.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD.")] = None,
    status: Annotated[str, typer.Option(help="open, in_progress, done or cancelled.")] = "open",
    link: Annotated[str | None, typer.Option(help="Ticket or document URL.")] = None,
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="List it in customer notices and on the status page (without its owner).",
        ),
    ] = False,
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
def update(
    incident_id: Annotated[str, typer.Argument(metavar="INCIDENT")],
    number: Annotated[int, typer.Argument(help="The action's number (see incident show).")],
    title: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    due: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    status: Annotated[
        str | None, typer.Option(help="open, in_progress, done or cancelled.")
    ] = None,
    link: Annotated[str | None, typer.Option()] = None,
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
