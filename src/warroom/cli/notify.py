"""`warroom notify ...` and `warroom contacts ...`: customer notices, where they go, and
where their delivery stands.

`warroom notify INCIDENT ...` is short for `warroom notify send INCIDENT ...`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from warroom.cli.common import (
    WARNING,
    bold,
    console,
    ctx,
    fmt_time,
    print_json,
    say,
    state,
    styled,
    warn,
)
from warroom.cli.parts import PATH, group, incident_argument, json_option
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.window import iso_z

app = group(
    "Customer notices: each affected customer's own report with its own "
    "approved credit, by email and/or signed webhook, through the "
    "outbox. `warroom notify INCIDENT` is short for `warroom notify send "
    "INCIDENT`.",
    default="send",
)
contacts_app = group(
    "Where customers' notices go: the registry's contact_email "
    "and webhook_url columns, and webhook secrets."
)

customer_option = click.option("--customer", help="Only this customer (its registry ID).")


@app.command()
@incident_argument
@click.option(
    "--audience",
    "-a",
    required=True,
    help="customer: each affected customer's own notice (the public "
    "hears through status-page subscriptions).",
)
@customer_option
@click.option(
    "--dry-run", is_flag=True, help="Write every message to a folder (--output) and send nothing."
)
@click.option(
    "--output",
    "-o",
    type=PATH,
    help="The dry run's folder (default notices-INCIDENT); it must be empty or new.",
)
@click.option(
    "--again",
    is_flag=True,
    help="Send the notices of a new approval to customers who got one of an earlier approval.",
)
@json_option
def send(
    incident_id: str,
    audience: str,
    customer: str | None,
    dry_run: bool,
    output: Path | None,
    again: bool,
    as_json: bool,
) -> None:
    """Queue each affected customer's own notice (its approved credit only).

    The notice is the customer version of the report, to the customer's contact_email
    addresses and/or its webhook. Refused until legal and finance approved the credits;
    the worker (`warroom worker`, or `warroom serve`) delivers them and checks the
    approval again before each one. A customer's notice of one approval is never queued
    twice: running this again sends only what is missing."""
    if audience.strip().lower() != "customer":
        raise InvalidInput(
            [
                Problem(
                    "--audience",
                    "bad_choice",
                    f"notices are sent by hand to customers only "
                    f"(--audience customer), not {audience!r}: the public "
                    "hears through status-page subscriptions",
                )
            ]
        )
    from warroom.services import notices

    if dry_run:
        _dry_run(incident_id, customer, output or Path(f"notices-{incident_id}"), as_json)
        return
    if output is not None:
        raise InvalidInput([Problem("--output", "not_allowed", "--output goes with --dry-run")])
    queued = notices.send_notices(ctx(), incident_id, customer_id=customer, again=again)
    if as_json:
        from warroom.schemas.notify import NoticesQueued

        print_json(
            NoticesQueued(
                incident_id=queued.incident_id,
                revision=queued.revision,
                dry_run=False,
                messages=queued.messages,
                customers=queued.customers,
                already_queued=queued.already,
                without_contact=list(queued.without_contact),
                not_affected=queued.not_affected,
            )
        )
        return
    say(
        f"{incident_id}: queued ",
        bold(queued.messages),
        f" notice message(s) for {queued.customers} customer(s), of the approved figures "
        f"{queued.revision[:12]}",
    )
    if queued.already:
        say(f"  {queued.already} customer(s) already had theirs queued: not again")
    if queued.without_contact:
        warn(
            f"{len(queued.without_contact)} affected customer(s) have no contact on record "
            f"(e.g. {queued.without_contact[0]}): `warroom contacts load REGISTRY`"
        )
    if state.settings().smtp_url is None:
        warn("WARROOM_SMTP_URL is not set here: emails wait in the outbox until the worker has it")
    say(f"  the worker delivers them; `warroom notify status {incident_id}` follows it")


def _dry_run(incident_id: str, customer: str | None, folder: Path, as_json: bool) -> None:
    from warroom.notify import Outgoing
    from warroom.notify.email import render_email
    from warroom.services import notices

    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidInput(
            [Problem("--output", "exists", f"{folder} exists and is not an empty folder")]
        )
    folder.mkdir(parents=True, exist_ok=True)
    mail_from = state.settings().mail_from or "warroom@example.invalid"
    written = []
    for draft in notices.drafts(ctx(), incident_id, customer_id=customer):
        message = draft.message
        if message.channel == "email":
            data = render_email(
                Outgoing(
                    id=0,
                    kind=message.kind,
                    channel="email",
                    recipients=tuple(message.recipient.split(";")),
                    body=message.body,
                    message_id=message.message_id,
                    subject=message.subject,
                    body_html=message.body_html,
                ),
                mail_from,
            )
            name = f"{_safe(draft.customer_id)}.eml"
        else:
            data = json.dumps(
                {"url": message.recipient, "body": json.loads(message.body)},
                indent=2,
                ensure_ascii=False,
            ).encode("utf-8")
            name = f"{_safe(draft.customer_id)}.webhook.json"
        with (folder / name).open("xb") as stream:
            stream.write(data)
        written.append(
            {
                "customer_id": draft.customer_id,
                "channel": message.channel,
                "recipient": message.recipient,
                "file": str(folder / name),
            }
        )
    if as_json:
        print_json({"incident_id": incident_id, "dry_run": True, "messages": written})
        return
    say(f"{incident_id}: wrote ", bold(len(written)), f" message(s) to {folder}/; nothing was sent")


def _safe(customer_id: str) -> str:
    """A customer ID as a file name (registry IDs are free text)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in customer_id)
    return cleaned.lstrip(".") or "_"


@app.command()
@incident_argument
@json_option
def status(incident_id: str, as_json: bool) -> None:
    """Show where each customer's notices stand.

    States: sent, pending, failed (and why), cancelled, or uncertain (its worker stopped
    while sending it: check, then `warroom notify retry --uncertain`)."""
    from warroom.services import notices

    found = notices.notice_status(ctx(), incident_id)
    counts = notices.summary(found)
    if as_json:
        from warroom.schemas.notify import NoticesStatusPublic

        print_json(NoticesStatusPublic.of(incident_id, found, counts))
        return
    if not found:
        console.print(
            f"{incident_id} has no customer notices yet: "
            f"`warroom notify {incident_id} --audience customer`"
        )
        return
    table = Table("customer", "channel", "to", "state", "tries", "sent (UTC)", "last error")
    for s in found:
        shown = styled(s.state, WARNING) if s.state in ("failed", "uncertain") else s.state
        table.add_row(
            s.customer_id,
            s.channel,
            s.recipient,
            shown,
            str(s.attempts),
            fmt_time(s.sent_at),
            s.last_error or "",
        )
    console.print(table)
    say("Customers: " + ", ".join(f"{n} {name}" for name, n in counts.items() if n))


@app.command()
@incident_argument
@customer_option
@click.option(
    "--uncertain",
    is_flag=True,
    help="Also the uncertain ones: you checked they did not arrive (they "
    "may otherwise arrive twice).",
)
def retry(incident_id: str, customer: str | None, uncertain: bool) -> None:
    """Queue failed and cancelled notices of the standing approval again."""
    from warroom.services import notices

    count = notices.retry(ctx(), incident_id, customer_id=customer, uncertain=uncertain)
    say(f"{incident_id}: {count} notice message(s) queued again")


@app.command()
@json_option
def outbox(as_json: bool) -> None:
    """Count the outbox's messages (notices, subscriber updates) by state."""
    from warroom.services import notices

    counts = notices.outbox_counts(ctx())
    if as_json:
        print_json(counts)
        return
    say(", ".join(f"{n} {name}" for name, n in counts.items()))


# -- contacts -----------------------------------------------------------------------------------


@contacts_app.command("load")
@click.argument(
    "registry",
    metavar="REGISTRY",
    help="The customer registry with contact_email and/or "
    "webhook_url columns: a CSV file (or several, .gz), Parquet files, "
    "duckdb:///FILE#TABLE or postgresql://...#TABLE, as sla assess --customers "
    "takes it.",
)
@click.option(
    "--replace", is_flag=True, help="Customers the registry does not list lose their contacts."
)
def load(registry: str, replace: bool) -> None:
    """Load where each customer's notices go, from a customer registry.

    contact_email holds one address or several separated by ';'; webhook_url an http(s)
    URL. A customer's webhook gets its signing secret when first loaded: `warroom
    contacts secret CUSTOMER` shows it."""
    from warroom.formats.customer_registry import open_contacts
    from warroom.services import contacts

    found = open_contacts(registry)
    loaded = contacts.load_contacts(ctx(), found, source=found.text, replace=replace)
    say(
        f"contacts: {loaded.added} added, {loaded.changed} changed, {loaded.unchanged} "
        f"unchanged, {loaded.removed} removed"
    )
    if loaded.new_secrets:
        say(
            f"  {len(loaded.new_secrets)} webhook(s) got a signing secret (e.g. "
            f"{loaded.new_secrets[0]}): give each receiver its own, from "
            "`warroom contacts secret CUSTOMER`"
        )


@contacts_app.command("list")
@json_option
def list_(as_json: bool) -> None:
    """List the contacts on record."""
    from warroom.services import contacts

    found = contacts.list_contacts(ctx())
    if as_json:
        print_json(
            [
                {
                    "customer_id": c.contact.customer_id,
                    "emails": list(c.contact.emails),
                    "webhook_url": c.contact.webhook_url,
                    "source": c.source,
                    "updated_at": iso_z(c.updated_at),
                }
                for c in found
            ]
        )
        return
    table = Table("customer", "emails", "webhook")
    for c in found:
        table.add_row(
            c.contact.customer_id, "; ".join(c.contact.emails), c.contact.webhook_url or ""
        )
    console.print(table)


@contacts_app.command("secret")
@click.argument("customer", metavar="CUSTOMER", help="The customer's registry ID.")
@click.option(
    "--rotate", is_flag=True, help="Make a new secret (the old one stops verifying at once)."
)
def secret(customer: str, rotate: bool) -> None:
    """Print the secret a customer's webhooks are signed with.

    Its receiver verifies the Warroom-Signature header with it (docs/notify.md)."""
    from warroom.services import contacts

    click.echo(contacts.webhook_secret(ctx(), customer, rotate=rotate))


@contacts_app.command("subscribers")
@json_option
def subscribers(as_json: bool) -> None:
    """List status-page subscribers (email and webhook)."""
    from warroom.services import subscriptions

    found = subscriptions.subscribers(ctx())
    if as_json:
        print_json(
            [
                {
                    "id": s.id,
                    "channel": s.channel,
                    "address": s.address,
                    "state": s.state,
                    "services": list(s.scope.services) if s.scope.services else None,
                    "regions": list(s.scope.regions) if s.scope.regions else None,
                }
                for s in found
            ]
        )
        return
    table = Table("id", "channel", "address", "state", "services", "regions")
    for s in found:
        table.add_row(
            s.id,
            s.channel,
            s.address,
            s.state,
            ", ".join(s.scope.services) if s.scope.services else "all",
            ", ".join(s.scope.regions) if s.scope.regions else "all",
        )
    console.print(table)
