"""`warroom token ...`: API and intake tokens: create (shown once), list, revoke."""

from __future__ import annotations

import click
from rich.table import Table

from warroom.cli.common import console, ctx, fmt_time, print_json, say
from warroom.cli.parts import group, json_option
from warroom.schemas.tokens import TokenPublic, TokensPublic
from warroom.services import tokens as service

app = group("API and intake tokens (Authorization: Bearer TOKEN).")


@app.command()
@click.argument(
    "name",
    help="Scope api: the person the token acts as (you, "
    "or anyone for an admin). Scope intake: a label for "
    "the sending system, e.g. alertmanager.",
)
@click.option(
    "--scope",
    default="api",
    help="api (acts as the person, with their roles) or "
    "intake (may only post alerts and change events; "
    "admins only).",
)
@click.option(
    "--expires",
    type=int,
    help="Days until the token stops working (default: never; revoke it instead).",
)
def create(name: str, scope: str, expires: int | None) -> None:
    """Create a token and print it alone on standard output. It is shown once: warroom
    keeps only a hash of it."""
    _info, token = service.create(
        ctx(), name, scope=service.parse_scope(scope), expires_days=expires
    )
    click.echo(token)


@app.command("list")
@json_option
def list_(as_json: bool) -> None:
    """List tokens (yours; every token for an admin). Secrets are never shown."""
    context = ctx()
    found = service.list_tokens(context)
    now = context.now()
    if as_json:
        print_json(TokensPublic.of(found, now))
        return
    if not found:
        console.print("No tokens.")
        return
    table = Table("ID", "Name", "Scope", "Created (UTC)", "Expires", "Last used", "State")
    for token in found:
        row = TokenPublic.of(token, now)
        table.add_row(
            row.id,
            row.name,
            row.scope,
            fmt_time(row.created_at),
            fmt_time(row.expires_at) if row.expires_at else "never",
            fmt_time(row.last_used_at),
            row.state,
        )
    console.print(table)


@app.command()
@click.argument("token_id", metavar="ID", help="The token's id (token list).")
def revoke(token_id: str) -> None:
    """Revoke a token: requests with it answer 401 from now on (with an intake token,
    within 5 seconds: a server keeps one it found valid that long)."""
    info = service.revoke(ctx(), token_id)
    say(f"Revoked token {info.id} ({info.scope}, {info.name}).")
