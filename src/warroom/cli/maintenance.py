"""`warroom maintenance ...`: scheduled maintenance as records, and its announcement."""

from __future__ import annotations

import click
from rich.table import Table

from warroom.cli.common import bold, console, ctx, fmt_time, parse_time, print_json, say
from warroom.cli.parts import group, json_option
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.maintenance import MaintenanceRecord
from warroom.domain.scope import Scope

app = group(
    "Scheduled maintenance: windows, what they touch, and when they were "
    "announced (which decides whether they excuse downtime under the "
    "SLA's notice rule)."
)

record_id_argument = click.argument(
    "record_id",
    metavar="ID",
    type=click.IntRange(1, 2**31 - 1),
    help="The window's number (`warroom maintenance list`).",
)


@app.command()
@click.option("--start", required=True, help="When it starts (ISO-8601 with offset).")
@click.option("--end", required=True, help="When it ends.")
@click.option("--title", required=True, help="What the status page and emails call it.")
@click.option("--services", help="Services it touches, comma-separated (default all).")
@click.option("--regions", help="Regions it touches, comma-separated (default all).")
@click.option("--description", help="More words for the public.")
@click.option(
    "--announce",
    is_flag=True,
    help="Announce it now: the status page shows it and subscribers "
    "whose services and regions it touches are told.",
)
@click.option(
    "--announced-at",
    help="It was announced at this past time, outside warroom "
    "(windows entered after the fact); nobody is told now.",
)
@json_option
def schedule(
    start: str,
    end: str,
    title: str,
    services: str | None,
    regions: str | None,
    description: str | None,
    announce: bool,
    announced_at: str | None,
    as_json: bool,
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
@record_id_argument
@json_option
def announce_(record_id: int, as_json: bool) -> None:
    """Announce a scheduled window now (status page, subscribers).

    The SLA's notice rule counts from this moment."""
    from warroom.services import maintenance

    _show(maintenance.announce(ctx(), record_id), as_json, verb="announced")


@app.command()
@record_id_argument
@json_option
def cancel(record_id: int, as_json: bool) -> None:
    """Cancel a window: it excuses nothing and leaves the status page (the record stays)."""
    from warroom.services import maintenance

    _show(maintenance.cancel(ctx(), record_id), as_json, verb="cancelled")


@app.command("list")
@click.option("--all", "all_", is_flag=True, help="Also windows that are over.")
@json_option
def list_(all_: bool, as_json: bool) -> None:
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
