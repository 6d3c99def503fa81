"""`warroom user ...`: people and their roles (legal and finance approve SLA credits)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from warroom.cli.common import console, ctx, print_json
from warroom.services import users as service

app = typer.Typer(help="People and their roles.", no_args_is_help=True)

RoleOpt = Annotated[list[str], typer.Option(
    "--role", help="viewer, responder, commander, legal, finance or admin (repeatable).")]


@app.command()
def add(name: Annotated[str, typer.Argument(help="The person's name as they act (--as).")],
        role: RoleOpt) -> None:
    """Register a person with roles. The first person registered needs no admin; after that
    only admins add people."""
    user = service.add_user(ctx(), name, role)
    console.print(f"Added {user.name}: {', '.join(user.roles)}")


@app.command()
def roles(name: Annotated[str, typer.Argument()], role: RoleOpt) -> None:
    """Replace a person's roles (admins only)."""
    user = service.set_roles(ctx(), name, role)
    console.print(f"{user.name}: {', '.join(user.roles)}")


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List registered people and their roles."""
    people = service.list_users(ctx())
    if as_json:
        print_json({"data": [{"name": u.name, "roles": list(u.roles)} for u in people],
                    "count": len(people)})
        return
    table = Table("Name", "Roles")
    for user in people:
        table.add_row(user.name, ", ".join(user.roles))
    console.print(table)
