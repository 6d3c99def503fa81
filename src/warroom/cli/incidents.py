"""`warroom incident ...`: declare, list, show, import, export, status, reopen, assign, update.

The commands a responder types during an incident (show, list, status) print from the
domain objects; the JSON shapes (`warroom.schemas`, pydantic) and the incident file
format are imported only by the commands and options that use them, so those commands
start quickly (`benchmarks/startup_bench.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Column, Table

from warroom.cli.common import (
    bold,
    console,
    ctx,
    fmt_time,
    minutes_text,
    parse_choice,
    parse_day,
    parse_time,
    print_json,
    say,
)
from warroom.cli.parts import PATH, force_option, group, incident_argument, json_option
from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import Classification, Incident, Role
from warroom.domain.lifecycle import parse_status
from warroom.domain.metrics import METRIC_NAMES, IncidentMetrics, incident_metrics, minutes
from warroom.domain.scope import Scope
from warroom.domain.severity import SeverityScale
from warroom.services import incidents as service

if TYPE_CHECKING:
    from warroom.schemas.incidents import IncidentPublic

app = group("Declare, inspect and drive incidents.")


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None or value.strip().lower() in ("", "all"):
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def public(incident: Incident) -> IncidentPublic:
    from warroom.schemas.incidents import IncidentPublic

    return IncidentPublic.of(incident, incident_metrics(incident.timeline), ctx().scale)


@app.command()
@click.argument("title", help="What is happening, in a few words.")
@click.option("--severity", "-s", required=True, help="SEV-1 (critical) .. SEV-4.")
@click.option("--commander", help="Incident commander.")
@click.option(
    "--detected-at",
    help="When it was detected (UTC, e.g. 2025-11-08T14:02:00Z); "
    "default now. The ID carries this date.",
)
@click.option("--regions", help="Comma-separated regions, or all.")
@click.option("--services", help="Comma-separated services, or all.")
@click.option("--classification", default="internal", help="public, internal or confidential.")
@click.option("--status", default="investigating", help="declared, triage or investigating.")
@click.option("--description", help="Text of the detected entry.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print only the new ID (for scripts: INC=$(warroom incident declare ...)).",
)
@json_option
def declare(
    title: str,
    severity: str,
    commander: str | None,
    detected_at: str | None,
    regions: str | None,
    services: str | None,
    classification: str,
    status: str,
    description: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Open a new incident by hand."""
    incident = service.declare(
        ctx(),
        title=title,
        severity=severity,
        commander=commander,
        detected_at=parse_time(detected_at, "--detected-at"),
        scope=Scope(regions=_split(regions), services=_split(services)),
        classification=parse_choice(classification, Classification, "--classification"),
        status=parse_status(status),
        description=description,
    )
    if as_json:
        print_json(public(incident))
    elif quiet:
        click.echo(incident.id)
    else:
        say("Declared ", bold(incident.id), f": {incident.severity} {incident.title}")


@app.command("list")
@click.option("--status", multiple=True, help="Only these statuses (repeatable).")
@click.option("--severity", multiple=True, help="Only these severities.")
@click.option("--since", help="Detected on or after (YYYY-MM-DD).")
@click.option("--until", help="Detected on or before (YYYY-MM-DD).")
@click.option("--active", is_flag=True, help="Only unresolved incidents (of --status, when given).")
@click.option("--limit", default=50, help=f"Incidents per page (at most {service.MAX_PAGE}).")
@click.option("--offset", default=0, help="Skip this many (newest first).")
@json_option
def list_(
    status: tuple[str, ...],
    severity: tuple[str, ...],
    since: str | None,
    until: str | None,
    active: bool,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List incidents, newest first, a page at a time."""
    context = ctx()
    statuses = [parse_status(s).value for s in status]
    filters: dict[str, Any] = dict(
        status=service.status_filter(statuses, active=active),
        severity=[context.scale.parse(s) for s in severity] or None,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
    )
    found = service.list_incidents(context, **filters, limit=limit, offset=offset)
    total = (
        service.count_incidents(context, **filters) if offset or len(found) == limit else len(found)
    )
    if as_json:
        from warroom.schemas.incidents import IncidentsPage, IncidentSummaryPublic

        # the API's page, without the URL of the next one (ask for --offset OFFSET+LIMIT)
        print_json(
            IncidentsPage(
                data=[IncidentSummaryPublic.of(i) for i in found],
                count=total,
                limit=limit,
                offset=offset,
                next=None,
            )
        )
        return
    if not found:
        console.print("No incidents." if not total else f"No incidents past the first {total:,}.")
        return
    # IDs are never cut, even in a narrow terminal or a pipe: people grep for them
    table = Table(
        Column("ID", no_wrap=True, min_width=max(len(i.id) for i in found)),
        "Severity",
        "Status",
        "Title",
        "Commander",
        "Detected",
        "Duration",
    )
    for incident in found:
        table.add_row(
            incident.id,
            incident.severity,
            incident.status.value,
            incident.title,
            incident.commander or "-",
            fmt_time(incident.detected_at()),
            minutes_text(minutes(incident_metrics(incident.timeline).duration)),
        )
    console.print(table)
    if offset or len(found) < total:
        more = (
            f"; --offset {offset + len(found)} for the next page"
            if offset + len(found) < total
            else ""
        )
        console.print(f"Incidents {offset + 1:,}-{offset + len(found):,} of {total:,}{more}.")


@app.command()
@incident_argument
@json_option
def show(incident_id: str, as_json: bool) -> None:
    """Show one incident: fields, timeline, actions and metrics."""
    context = ctx()
    incident = service.get_incident(context, incident_id)
    if as_json:
        print_json(public(incident))
        return
    print_incident(incident, incident_metrics(incident.timeline), context.scale)


def print_incident(incident: Incident, metrics: IncidentMetrics, scale: SeverityScale) -> None:
    say(bold(incident.id), f"  {incident.title}")
    console.print(
        f"Severity {incident.severity} ({scale.label_of(incident.severity)}) · "
        f"status {incident.status.value} · "
        f"classification {incident.classification.value}"
    )
    roles = (
        ", ".join(f"{r.value.replace('_', ' ')}: {p}" for r, p in incident.roles.items()) or "none"
    )
    console.print(f"Roles: {roles}")
    scope = incident.scope
    regions = ", ".join(scope.regions) if scope.regions is not None else "all"
    services = ", ".join(scope.services) if scope.services is not None else "all"
    console.print(f"Scope: regions {regions}; services {services}")
    if incident.data_loss:
        console.print(f"Data loss: {incident.data_loss}")
    timeline = Table("Time (UTC)", "Kind", "Event", "By", "Audience", title="Timeline")
    for entry in incident.ordered_timeline():
        timeline.add_row(
            entry.at.strftime("%Y-%m-%d %H:%M"),
            entry.kind.value,
            entry.text,
            entry.author or "-",
            entry.audience.value,
        )
    console.print(timeline)
    table = Table("Metric", "Value", title="Metrics")
    window = incident.impact_window()
    if window:
        table.add_row("Impact window", f"{fmt_time(window.start)} → {fmt_time(window.end)}")
    table.add_row("Duration", minutes_text(minutes(metrics.duration)))
    for name in METRIC_NAMES:
        label = name.replace("_", " ").capitalize()
        table.add_row(label, minutes_text(minutes(metrics.get(name))))
    console.print(table)
    if incident.root_cause:
        say(bold("Root cause:"), f" {incident.root_cause}")
    for factor in incident.contributing_factors:
        console.print(f"  - contributing: {factor}")
    if incident.actions:
        actions = Table("#", "Action", "Owner", "Due", "Status", title="Corrective actions")
        for a in incident.actions:
            actions.add_row(
                str(a.number),
                a.title,
                a.owner or "-",
                a.due.isoformat() if a.due else "-",
                a.status.value,
            )
        console.print(actions)


@app.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=PATH, help="Incident files (.yaml, .yml or .json)."
)
@json_option
def import_(files: tuple[Path, ...], as_json: bool) -> None:
    """Import incidents from YAML/JSON files. Everything is checked first; on any problem
    nothing is imported."""
    context = ctx()
    from warroom.formats.incident_file import read_incident_file

    parsed = []
    problems = []
    for path in files:
        try:
            parsed += read_incident_file(path, scale=context.scale)
        except InvalidInput as error:
            problems += error.problems
    if problems:
        raise InvalidInput(problems)
    stored = service.import_incidents(context, parsed)
    if as_json:
        print_json({"imported": [i.id for i in stored], "count": len(stored)})
        return
    for incident in stored:
        say("Imported ", bold(incident.id), f": {incident.title}")


@app.command()
@click.argument(
    "incident_ids", nargs=-1, metavar="[INCIDENT]...", help="The incidents' IDs (or --all)."
)
@click.option("--all", "all_", is_flag=True, help="Export every incident.")
@click.option("--format", "fmt", default="yaml", help="yaml or json.")
@click.option("-o", "--output", type=PATH, help="Write to a file.")
@force_option
def export(
    incident_ids: tuple[str, ...], all_: bool, fmt: str, output: Path | None, force: bool
) -> None:
    """Export incidents in the incident-file format (reads back with `incident import`)."""
    if fmt not in ("yaml", "json"):
        raise InvalidInput([Problem("--format", "bad_choice", "expected yaml or json")])
    context = ctx()
    if all_:
        found = service.list_incidents(context)
    elif incident_ids:
        found = [service.get_incident(context, i) for i in incident_ids]
    else:
        raise InvalidInput([Problem("INCIDENT", "missing", "name incidents to export, or --all")])
    if not found:
        raise InvalidInput([Problem("INCIDENT", "empty", "there are no incidents to export")])
    from warroom.cli.files import write_output
    from warroom.formats.incident_file import write_incidents

    text = write_incidents(found, fmt=fmt)
    if output:
        write_output(output, text.encode("utf-8"), force=force)
        say(f"Wrote {len(found)} incident(s) to {output}")
    else:
        click.echo(text, nl=False)


@app.command()
@incident_argument
@click.argument(
    "new_status",
    metavar="STATUS",
    help="triage, investigating, identified, monitoring, resolved, closed",
)
@click.option("--message", "-m", help="Timeline text for the change.")
@click.option("--at", help="When (UTC); default now.")
@click.option(
    "--public",
    "public_",
    is_flag=True,
    help="Show the update on the status page and in customer notices.",
)
@json_option
def status(
    incident_id: str,
    new_status: str,
    message: str | None,
    at: str | None,
    public_: bool,
    as_json: bool,
) -> None:
    """Move an incident along its lifecycle (illegal moves are refused)."""
    incident = service.change_status(
        ctx(),
        incident_id,
        parse_status(new_status),
        message=message,
        at=parse_time(at, "--at"),
        audience=Audience.PUBLIC if public_ else Audience.INTERNAL,
    )
    if as_json:
        print_json(public(incident))
    else:
        say(f"{incident.id} is now ", bold(incident.status.value))


@app.command()
@incident_argument
@click.option("--reason", required=True, help="Why it is reopened (goes on the timeline).")
@click.option("--to", default="investigating", help="investigating, identified or monitoring.")
@click.option("--at", help="When (UTC); default now.")
def reopen(incident_id: str, reason: str, to: str, at: str | None) -> None:
    """Reopen a resolved or closed incident (audited)."""
    incident = service.reopen(
        ctx(), incident_id, parse_status(to), reason=reason, at=parse_time(at, "--at")
    )
    say(f"{incident.id} reopened, now ", bold(incident.status.value))


@app.command()
@incident_argument
@click.argument("person", help="Who takes the role ('' to unassign).")
@click.option(
    "--role", default="commander", help="commander, scribe, communications or technical_lead."
)
def assign(incident_id: str, person: str, role: str) -> None:
    """Give a person a role on an incident (incident commander by default)."""
    chosen = parse_choice(role, Role, "--role")
    incident = service.assign(ctx(), incident_id, chosen, person or None)
    holder = incident.roles.get(chosen)
    console.print(f"{incident.id}: {chosen.value.replace('_', ' ')} is {holder or 'unassigned'}")


@app.command()
@incident_argument
@click.option("--title")
@click.option("--severity")
@click.option("--classification")
@click.option("--regions", help="Comma-separated, or all.")
@click.option("--services", help="Comma-separated, or all.")
@click.option("--data-loss", help="Data-loss statement.")
@click.option("--summary", help="Executive summary (replaces the generated one in reports).")
@click.option("--public-summary", help="What customers and the status page are told happened.")
@click.option("--root-cause")
@click.option(
    "--public-root-cause",
    help="Customer-safe wording of the root cause (customer and public reports).",
)
@click.option(
    "--factor", multiple=True, help="Contributing factor (repeatable; replaces the list)."
)
def update(
    incident_id: str,
    title: str | None,
    severity: str | None,
    classification: str | None,
    regions: str | None,
    services: str | None,
    data_loss: str | None,
    summary: str | None,
    public_summary: str | None,
    root_cause: str | None,
    public_root_cause: str | None,
    factor: tuple[str, ...],
) -> None:
    """Change an incident's fields (severity, root cause, summary, scope, ...)."""
    context = ctx()
    current = service.get_incident(context, incident_id)
    scope = None
    if regions is not None or services is not None:
        scope = Scope(
            regions=_split(regions) if regions is not None else current.scope.regions,
            services=_split(services) if services is not None else current.scope.services,
        )
    changes = service.IncidentChanges(
        title=title,
        severity=severity,
        classification=parse_choice(classification, Classification, "--classification")
        if classification
        else None,
        scope=scope,
        data_loss=data_loss,
        summary=summary,
        public_summary=public_summary,
        root_cause=root_cause,
        public_root_cause=public_root_cause,
        contributing_factors=list(factor) if factor else None,
    )
    incident = service.update(context, incident_id, changes)
    console.print(f"Updated {incident.id}")


@app.command()
@incident_argument
@json_option
def audit(incident_id: str, as_json: bool) -> None:
    """Show the audit log of an incident: who changed what, when."""
    entries = service.audit_trail(ctx(), incident_id)
    if as_json:
        from warroom.schemas.incidents import AuditEntryPublic

        print_json([AuditEntryPublic.of(e).to_data() for e in entries])
        return
    table = Table("When (UTC)", "Who", "Via", "Action", "Changed")
    for e in entries:
        via = e.channel + (f" ({e.os_login})" if e.os_login else "")
        table.add_row(fmt_time(e.at), e.actor, via, e.action, ", ".join(sorted(e.changes)) or "-")
    console.print(table)
