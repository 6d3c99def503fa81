"""`warroom alert ...` and `warroom change ...`: alerts and changes to production.

Monitoring systems send them to the API's intake routes; these commands list what
arrived, and receive a body from a file (to replay a delivery, or to try routing rules).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from warroom.cli.common import console, ctx, fmt_time, print_json, say
from warroom.cli.parts import PATH, group, json_option
from warroom.domain.errors import InvalidInput, Problem
from warroom.schemas.intake import (
    AlertPublic,
    AlertReceiptPublic,
    AlertsPublic,
    ChangePublic,
    ChangesPublic,
)
from warroom.services import intake as service

alerts_app = group("Alerts received from monitoring systems.")
changes_app = group("Changes to production (deploys, configuration, maintenance).")
limit_option = click.option("--limit", type=click.IntRange(1, 1000), default=100)
MAX_FILE = 5 * 1024 * 1024


def _read_json(path: Path) -> object:
    try:
        if path.stat().st_size > MAX_FILE:
            raise InvalidInput([Problem("FILE", "too_large", f"{path} is over 5 MiB")])
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(
            [Problem("FILE", "unreadable", f"cannot read {path}: {exc.strerror or exc}")]
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            [Problem("FILE", "malformed", f"{path} is not JSON: {exc}")],
        ) from None


@alerts_app.command("receive")
@click.argument("file", type=PATH, help="A webhook body as the source sends it (JSON).")
@click.option("--source", default="alertmanager", help="alertmanager or pagerduty.")
@json_option
def receive(file: Path, source: str, as_json: bool) -> None:
    """Receive a delivery from a file, exactly as the intake API would: stored once,
    routed, opening or joining incidents (admins)."""
    from warroom.ingest import parse_alerts

    try:
        received = parse_alerts(
            source.strip().lower(),
            _read_json(file),
            received_at=datetime.now(UTC),
            new_key=lambda: uuid.uuid4().hex,
        )
    except (KeyError, ValueError):
        raise InvalidInput(
            [Problem("--source", "bad_choice", "expected alertmanager or pagerduty")]
        ) from None
    receipts = service.receive_alerts(ctx(), received)
    if as_json:
        print_json([AlertReceiptPublic.of(r).to_data() for r in receipts])
        return
    for receipt in receipts:
        where = f" -> {receipt.incident_id}" if receipt.incident_id else ""
        opened = " (opened)" if receipt.opened else ""
        say(f"{receipt.source} {receipt.key}: {receipt.outcome.value}{where}{opened}")


@alerts_app.command("list")
@click.option("--unattached", is_flag=True, help="Only alerts no incident holds (to triage).")
@click.option("--status", help="firing, acknowledged or resolved.")
@click.option("--incident", help="The alerts of one incident.")
@limit_option
@json_option
def list_alerts(
    unattached: bool, status: str | None, incident: str | None, limit: int, as_json: bool
) -> None:
    """Alerts as received, newest first."""
    context = ctx()
    found = (
        service.alerts_of(context, incident)
        if incident
        else service.list_alerts(context, status=status, unattached=unattached, limit=limit)
    )
    data = AlertsPublic(data=[AlertPublic.of(a) for a in found], count=len(found))
    if as_json:
        print_json(data)
        return
    if not found:
        say("No alerts.")
        return
    table = Table("Source", "Alert", "Status", "Severity", "Service", "Started", "Incident")
    for alert in data.data:
        table.add_row(
            alert.source,
            alert.name,
            alert.status,
            alert.routed_severity,
            alert.service or "-",
            fmt_time(alert.starts_at),
            alert.incident_id or "-",
        )
    console.print(table)


@changes_app.command("receive")
@click.argument("file", type=PATH, help="A change event (JSON, docs/intake.md).")
def receive_change(file: Path) -> None:
    """Receive a change event from a file, as the intake API would (admins)."""
    from warroom.ingest.change import parse_change

    receipt = service.receive_change(ctx(), parse_change(_read_json(file)))
    shown = f"; shown on {', '.join(receipt.incidents)}" if receipt.incidents else ""
    say(f"change {receipt.key}: {receipt.outcome.value}{shown}")


@changes_app.command("list")
@limit_option
@json_option
def list_changes(limit: int, as_json: bool) -> None:
    """Changes to production as reported, newest first."""
    found = service.list_changes(ctx(), limit=limit)
    data = ChangesPublic(data=[ChangePublic.of(c) for c in found], count=len(found))
    if as_json:
        print_json(data)
        return
    if not found:
        say("No changes.")
        return
    table = Table("When (UTC)", "Kind", "Service", "Region", "Summary", "By")
    for change in data.data:
        table.add_row(
            fmt_time(change.at),
            change.kind,
            change.service or "-",
            change.region or "-",
            change.summary,
            change.author or "-",
        )
    console.print(table)
