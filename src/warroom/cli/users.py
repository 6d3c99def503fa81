"""`warroom user ...`: people, their roles (legal and finance approve SLA credits), passwords."""

from __future__ import annotations

import getpass
import sys

import click
from rich.table import Table

from warroom.cli.common import console, ctx, print_json, say
from warroom.cli.parts import group, json_option
from warroom.domain.errors import InvalidInput, PermissionDenied, Problem
from warroom.schemas.users import UsersPublic
from warroom.services import credentials
from warroom.services import users as service
from warroom.services.context import Context

app = group("People, their roles and passwords.")

role_option = click.option(
    "--role",
    multiple=True,
    required=True,
    help="viewer, responder, commander, legal, finance or admin (repeatable).",
)


@app.command()
@click.argument("name", help="The person's name as they act (--as).")
@role_option
def add(name: str, role: tuple[str, ...]) -> None:
    """Register a person with roles (admins only; `warroom init` registers the first
    admin). Names match case-insensitively."""
    user = service.add_user(ctx(), name, role)
    say(f"Added {user.name}: {', '.join(user.roles)}")


@app.command()
@click.argument("name", help="Whose roles: a registered person's name.")
@role_option
def roles(name: str, role: tuple[str, ...]) -> None:
    """Replace a person's roles (admins only)."""
    user = service.set_roles(ctx(), name, role)
    say(f"{user.name}: {', '.join(user.roles)}")


@app.command()
@click.argument("name", help="Whose password: your own, or (admins) anyone's.")
@click.option(
    "--password-stdin",
    "stdin",
    is_flag=True,
    help="Read the new password from standard input (scripts).",
)
def password(name: str, stdin: bool) -> None:
    """Set a person's password (for signing in to the web pages and, where approvals need
    an authenticated session, for approving from the CLI). Stored as an argon2 hash."""
    if stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = _ask("New password: ")
        if _ask("Repeat it: ") != secret:
            raise InvalidInput([Problem("password", "mismatch", "the two entries differ")])
    who = credentials.set_password(ctx(), name, secret)
    say(f"Password set for {who}.")


@app.command("list")
@json_option
def list_(as_json: bool) -> None:
    """List registered people and their roles."""
    people = service.list_users(ctx())
    if as_json:
        print_json(UsersPublic.of(people))
        return
    table = Table("Name", "Roles", "Password")
    for user in people:
        table.add_row(user.name, ", ".join(user.roles), "set" if user.has_password else "-")
    console.print(table)


def authenticate(context: Context) -> None:
    """Ask the acting person for their password and mark the context authenticated."""
    if not sys.stdin.isatty():
        raise PermissionDenied(
            "this deployment accepts approvals only from authenticated sessions: run the "
            "command on a terminal to give your password, or use the API or web pages"
        )
    context.actor = credentials.verify_password(
        context, context.actor, _ask(f"Password for {context.actor}: ")
    )
    context.authenticated = True


def _ask(prompt: str) -> str:
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise InvalidInput([Problem("password", "missing", "no password given")]) from None
