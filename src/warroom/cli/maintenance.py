"""`warroom maintenance ...`: scheduled maintenance as records, and its announcement."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from warroom.cli.common import bold, console, ctx, fmt_time, parse_time, print_json, say
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.maintenance import MaintenanceRecord
from warroom.domain.scope import Scope

app = typer.Typer(
    no_args_is_help=True,
    help="Scheduled maintenance: windows, what they touch, and when they were "
    "announced (which decides whether they excuse downtime under the "
    "SLA's notice rule).",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (docs/json.md).")]
RecordId = Annotated[int, typer.Argument(metavar="ID", min=1, max=2**31 - 1)]


@app.command()
def schedule(
    start: Annotated[str, typer.Option(help="When it starts (ISO-8601 with offset).")],
    end: Annotated[str, typer.Option(help="When it ends.")],
    title: Annotated[str, typer.Option(help="What the status page and emails call it.")],
    services: Annotated[
        str | None, typer.Option(help="Services it touches, comma-separated (default all).")
    ] = None,
    regions: Annotated[
        str | None, typer.Option(help="Regions it touches, comma-separated (default all).")
    ] = None,
    description: Annotated[str | None, typer.Option(help="More words for the public.")] = None,
    announce: Annotated[
        bool,
        typer.Option(
            "--announce",
            help="Announce it now: the status page shows it and subscribers "
            "whose services and regions it touches are told.",
        ),
    ] = False,
    announced_at: Annotated[
        str | None,
        typer.Option(
            "--announced-at",
            help="It was announced at this past time, outside warroom "
            "(windows entered after the fact); nobody is told now.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a maintenance window (and announce it).

    Whether it excuses downtime depends on when it was announced: the SLA assessment
    judges that from this record."""
    from warroom.services import maintenance

    starts, ends = parse_time(start, "--start"), parse_time(end, "--end")
    assert starts is not None and ends is not None
    found = maintenance.schedule(
        ctx(),
        title=title,
        starts_at=starts,
        ends_at=ends,
        scope=Scope(services=_names(services, "--services"), regions=_names(regions, "--regions")),
        description=description,
        announce=announce,
        announced_at=parse_time(announced_at, "--announced-at"),
    )
    _show(found, as_json, verb="scheduled")


@app.command("announce")
def announce_(record_id: RecordId, as_json: JsonOpt = False) -> None:
    """Announce a scheduled window now (status page, subscribers).

    The SLA's notice rule counts from this moment."""
    from warroom.services import maintenance

    _show(maintenance.announce(ctx(), record_id), as_json, verb="announced")


@app.command()
def cancel(record_id: RecordId, as_json: JsonOpt = False) -> None:
    """Cancel a window: it excuses nothing and leaves the status page (the record stays)."""
    from warroom.services import maintenance

    _show(maintenance.cancel(ctx(), record_id), as_json, verb="cancelled")


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Also windows that are over.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List maintenance windows that are not over (with --all, every one)."""
    from warroom.services import maintenance

    context = ctx()
    found = maintenance.list_maintenance(context, since=None if all_ else context.now())
    if as_json:
        print_json([record_data(r) for r in found])
        return
    if not found:
        console.print("No maintenance scheduled.")
        return
    table = Table(
        "id", "title", "start (UTC)", "end (UTC)", "services", "regions", "announced (UTC)", "state"
    )
    for r in found:
        table.add_row(
            str(r.id),
            r.title,
            fmt_time(r.starts_at),
            fmt_time(r.ends_at),
            ", ".join(r.scope.services) if r.scope.services else "all",
            ", ".join(r.scope.regions) if r.scope.regions else "all",
            fmt_time(r.announced_at),
            _state(r),
        )
    console.print(table)


def record_data(record: MaintenanceRecord) -> dict[str, object]:
    from warroom.schemas.notify import MaintenancePublic

    return MaintenancePublic.of(record).to_data()


def _state(record: MaintenanceRecord) -> str:
    if record.cancelled:
        return "cancelled"
    return "announced" if record.announced else "scheduled"


def _show(record: MaintenanceRecord, as_json: bool, *, verb: str) -> None:
    if as_json:
        print_json(record_data(record))
        return
    say(
        f"maintenance {record.id} {verb}: ",
        bold(record.title),
        f", {fmt_time(record.starts_at)} - {fmt_time(record.ends_at)}"
        + (
            f", announced {fmt_time(record.announced_at)}"
            if record.announced_at
            else ", not announced"
        ),
    )


def _names(value: str | None, option: str) -> tuple[str, ...] | None:
    if value is None or value.strip().lower() in ("", "all"):
        return None
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names or any(len(n) > 100 for n in names) or len(names) > 200:
        raise InvalidInput(
            [
                Problem(
                    option,
                    "bad_list",
                    f"{option}: comma-separated names of up to 100 "
                    "characters (at most 200), or all",
                )
            ]
        )
    return names
