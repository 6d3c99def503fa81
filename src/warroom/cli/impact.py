"""`warroom impact`: customer impact of an incident, measured from request logs."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from warroom.analytics.mapping import ColumnMapping, load_map_file, parse_map
from warroom.cli.common import console, ctx, err_console, parse_time, print_json, warn
from warroom.cli.parts import PATH, incident_argument, json_option
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.window import TimeWindow
from warroom.formats.customer_registry import open_registry, registry_size
from warroom.formats.sla_policy import read_policy_file
from warroom.reports import numbers
from warroom.schemas.impact import ImpactPublic
from warroom.services import impact as service


@click.command()
@incident_argument
@click.option(
    "--requests",
    help="The request log: Parquet file/glob/folder, CSV, duckdb:///file.db#table or "
    "postgresql://.../db#table (docs/impact.md). Leave out to show the stored analysis.",
)
@click.option("--map", "map_", help="Column mapping, e.g. ts=event_time,customer_id=tenant.")
@click.option(
    "--map-file", type=PATH, help="Column mapping file (YAML/JSON {ts: event_time, ...})."
)
@click.option(
    "--window",
    help="START/END in UTC (e.g. 2025-11-08T14:02:00Z/2025-11-08T19:49:00Z); default "
    "the incident's impact window.",
)
@click.option(
    "--backend", default="duckdb", help="duckdb (embedded) or pyspark (WARROOM_SPARK_MASTER)."
)
@click.option(
    "--policy", type=PATH, help="SLA policy: its downtime section sets the down-minute rule."
)
@click.option(
    "--customers",
    help="Customer registry (a CSV file, Parquet file(s), duckdb:///FILE#TABLE or "
    "postgresql://...#TABLE): gives customers_total (the share of the base).",
)
@json_option
def impact(
    incident_id: str,
    requests: str | None,
    map_: str | None,
    map_file: Path | None,
    window: str | None,
    backend: str,
    policy: Path | None,
    customers: str | None,
    as_json: bool,
) -> None:
    """Measure customers, users and transactions affected, and each customer's down
    minutes, from request logs; store the result (with its provenance) on the incident."""
    context = ctx()
    if requests is None:
        if map_ or map_file or window or policy or customers:
            raise InvalidInput(
                [Problem("--requests", "missing", "give --requests LOG to run an analysis")]
            )
        show(ImpactPublic.of(service.require_latest(context, incident_id)), as_json)
        return
    mapping = load_map_file(map_file) if map_file else ColumnMapping()
    if map_:
        mapping = mapping.merged(parse_map(map_))
    sla_policy = read_policy_file(policy) if policy else None
    registry = open_registry(customers, policy=sla_policy) if customers else None
    total, known = registry_size(registry) if registry else (None, set())
    with Progress(
        TextColumn("Scanning", style="bold"),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task(requests, total=1.0)
        stored = service.analyse(
            context,
            incident_id,
            requests=requests,
            mapping=mapping or None,
            window=parse_window(window),
            backend=backend.strip().lower(),
            policy=sla_policy,
            customers_total=total,
            progress=lambda fraction: bar.update(task, completed=fraction),
        )
    show(ImpactPublic.of(stored), as_json)
    if registry is not None:
        strangers = sorted(stored.result.unregistered(known))
        if strangers:
            shown = ", ".join(strangers[:5]) + (", ..." if len(strangers) > 5 else "")
            warn(
                f"{len(strangers):,} customer(s) in the log are not in "
                f"{registry.text} ({shown}): they earn no SLA credit, and reports count only "
                "registered customers in the share of the base."
            )


def parse_window(value: str | None) -> TimeWindow | None:
    if value is None:
        return None
    start, sep, end = value.partition("/")
    if not sep:
        raise InvalidInput(
            [
                Problem(
                    "--window",
                    "bad_window",
                    "expected START/END, e.g. 2025-11-08T14:02:00Z/2025-11-08T19:49:00Z",
                )
            ]
        )
    first, last = parse_time(start, "--window"), parse_time(end, "--window")
    assert first is not None and last is not None
    if last <= first:
        raise InvalidInput(
            [
                Problem(
                    "--window",
                    "empty_window",
                    f"the window ends ({end}) before it starts ({start})",
                )
            ]
        )
    return TimeWindow(first, last)


def show(data: ImpactPublic, as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    w = data.window
    end = f"{w.end:%H:%M}" if w.end.date() == w.start.date() else f"{w.end:%Y-%m-%d %H:%M}"
    console.print(
        f"Impact of {data.incident_id}, {w.start:%Y-%m-%d %H:%M}–{end} UTC ({w.minutes} min)"
    )
    table = Table("Measure", "Value")
    share = (
        f" of {data.customers_total:,} "
        f"({numbers.share(data.customers_affected, data.customers_total)})"
        if data.customers_total
        else ""
    )
    table.add_row("Customers affected", f"{data.customers_affected:,}{share}")
    table.add_row("Users affected", f"{data.users_affected:,}")
    table.add_row(
        "Transactions affected",
        "-" if data.transactions_affected is None else f"{data.transactions_affected:,}",
    )
    table.add_row(
        "Requests (failed / total)", f"{data.requests_failed:,} / {data.requests_total:,}"
    )
    if data.most_down is not None:
        table.add_row(
            "Most down minutes", f"{data.most_down.customer_id}: {data.most_down.down_minutes}"
        )
    console.print(table)
    p = data.provenance
    if data.unattributed_requests > 0:
        warn(
            f"{data.unattributed_requests:,} request(s) in the window have no customer id "
            "and count in no figure; map the customer column with --map customer_id=... if "
            "another column holds it."
        )
    console.print(
        f"Evidence: {p.source}, {p.rows_scanned:,} rows scanned by {p.engine} "
        f"{p.engine_version} on {p.computed_at:%Y-%m-%d %H:%M} UTC; down minute = "
        f"≥ {float(data.error_rate_threshold):.0%} failed and ≥ "
        f"{data.min_failed_requests} failure(s); definition {p.definition_hash[:12]}"
    )
