"""`warroom alert ...` and `warroom change ...`: alerts and changes to production.

Monitoring systems send them to the API's intake routes; these commands list what
arrived, and receive a body from a file (to replay a delivery, or to try routing rules).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from warroom.cli.common import console, ctx, fmt_time, print_json, say
from warroom.domain.errors import InvalidInput, Problem
from warroom.schemas.intake import (
    AlertPublic,
    AlertReceiptPublic,
    AlertsPublic,
    ChangePublic,
    ChangesPublic,
)
from warroom.services import intake as service

alerts_app = typer.Typer(help="Alerts received from monitoring systems.", no_args_is_help=True)
changes_app = typer.Typer(
    help="Changes to production (deploys, configuration, maintenance).", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (docs/json.md).")]
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
def receive(
    file: Annotated[Path, typer.Argument(help="A webhook body as the source sends it (JSON).")],
    source: Annotated[str, typer.Option(help="alertmanager or pagerduty.")] = "alertmanager",
    as_json: JsonOpt = False,
) -> None:
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
def list_alerts(
    unattached: Annotated[
        bool, typer.Option("--unattached", help="Only alerts no incident holds (to triage).")
    ] = False,
    status: Annotated[str | None, typer.Option(help="firing, acknowledged or resolved.")] = None,
    incident: Annotated[str | None, typer.Option(help="The alerts of one incident.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
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
def receive_change(
    file: Annotated[Path, typer.Argument(help="A change event (JSON, docs/intake.md).")],
) -> None:
    """Receive a change event from a file, as the intake API would (admins)."""
    from warroom.ingest.change import parse_change

    receipt = service.receive_change(ctx(), parse_change(_read_json(file)))
    shown = f"; shown on {', '.join(receipt.incidents)}" if receipt.incidents else ""
    say(f"change {receipt.key}: {receipt.outcome.value}{shown}")


@changes_app.command("list")
def list_changes(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
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
