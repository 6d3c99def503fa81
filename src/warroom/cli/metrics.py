"""`warroom metrics`: one incident's metrics, or median and p90 across incidents by severity."""

from __future__ import annotations

import click
from rich.table import Table

from warroom.cli.common import console, ctx, minutes_text, parse_day, print_json
from warroom.cli.parts import json_option
from warroom.domain.metrics import METRIC_NAMES
from warroom.schemas.incidents import (
    MetricsOverviewPublic,
    MetricsPublic,
    SpreadPublic,
)
from warroom.services import incidents as incident_service
from warroom.services import metrics as service


@click.command()
@click.argument(
    "incident_id",
    required=False,
    metavar="[INCIDENT]",
    help="One incident; leave out for all incidents in a period.",
)
@click.option("--since", help="Detected on or after (YYYY-MM-DD).")
@click.option("--until", help="Detected on or before (YYYY-MM-DD).")
@click.option("--severity", multiple=True, help="Only these severities.")
@json_option
def metrics(
    incident_id: str | None,
    since: str | None,
    until: str | None,
    severity: tuple[str, ...],
    as_json: bool,
) -> None:
    """Time to detect, declare, identify, mitigate and resolve: per incident, or median and
    p90 across incidents, by severity."""
    context = ctx()
    if incident_id:
        incident = incident_service.get_incident(context, incident_id)
        data = MetricsPublic.of(service.metrics_of(incident), incident.impact_window())
        if as_json:
            print_json(data)
            return
        table = Table("Metric", "Minutes", "", title=f"Metrics of {incident.id}")
        table.add_row("Duration", _num(data.duration_minutes), minutes_text(data.duration_minutes))
        for name in METRIC_NAMES:
            value = getattr(data, f"{name}_minutes")
            table.add_row(name.replace("_", " ").capitalize(), _num(value), minutes_text(value))
        console.print(table)
        return
    overview = service.overview(
        context,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        severity=[context.scale.parse(s) for s in severity] or None,
    )
    result = MetricsOverviewPublic.of(overview)
    if as_json:
        print_json(result)
        return
    period = f"{overview.since or 'the beginning'} to {overview.until or 'today'}"
    table = Table(
        "Severity",
        "Incidents",
        *(f"{n.replace('time_to_', 'to ')}\nmedian / p90" for n in METRIC_NAMES),
        title=f"Incident metrics, {period}",
    )
    for group in result.groups:
        cells = []
        for name in METRIC_NAMES:
            spread: SpreadPublic = getattr(group, name)
            cells.append(
                f"{minutes_text(spread.median_minutes)} / {minutes_text(spread.p90_minutes)}"
            )
        table.add_row(group.severity, str(group.incidents), *cells)
    console.print(table)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
