"""`warroom report ...`: the incident report per audience, published revisions and diffs.

`warroom report INCIDENT ...` is short for `warroom report show INCIDENT ...`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.syntax import Syntax
from rich.table import Table

from warroom.cli.common import bold, console, ctx, fmt_time, parse_choice, print_json, say, state
from warroom.cli.files import write_output
from warroom.cli.parts import PATH, force_option, group, incident_argument, json_option
from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.reports import FORMATS

# The report machinery (Jinja2, the report service) loads when a report command runs,
# not on every warroom command.


app = group(
    "The incident report (internal, customer, public), its published "
    "revisions and what changed between them. `warroom report INCIDENT` "
    "is short for `warroom report show INCIDENT`.",
    default="show",
)

audience_option = click.option(
    "--audience",
    "-a",
    default="internal",
    help="internal (staff), confidential, customer (one customer, with "
    "--customer) or public (the status-page summary).",
)
customer_option = click.option(
    "--customer", help="The customer a customer version is for (its registry ID)."
)
prepared_by_option = click.option(
    "--prepared-by",
    help="Who the staff version says prepared it (default "
    "WARROOM_PREPARED_BY, else the incident's commander).",
)


@app.command()
@incident_argument
@audience_option
@customer_option
@click.option("--format", "-f", "fmt", default="md", help="md, html, pdf or json.")
@click.option("--output", "-o", type=PATH, help="Write to this file instead of standard output.")
@force_option
@prepared_by_option
@click.option(
    "--revision",
    type=int,
    help="Print published revision N of this audience as it was published (md or json).",
)
def show(
    incident_id: str,
    audience: str,
    customer: str | None,
    fmt: str,
    output: Path | None,
    force: bool,
    prepared_by: str | None,
    revision: int | None,
) -> None:
    """Render the incident report for an audience, from the data as it stands now.

    Numbers come from the stored impact analysis and SLA assessment; what an audience
    sees is decided by the domain's audience rules (docs/reports.md). The footer says
    which published revision this is, or that it is a draft."""
    chosen_format = _format(fmt)
    if revision is not None:
        if chosen_format not in ("md", "json"):
            raise InvalidInput(
                [
                    Problem(
                        "--format",
                        "bad_choice",
                        "a published revision is kept as md and json; pick one of those",
                    )
                ]
            )
        from warroom.services import reports as service

        stored = service.revision(
            ctx(), incident_id, revision, audience=_audience(audience), customer_id=customer
        )
        if chosen_format == "md":
            _write(stored.markdown, output, force)
        else:
            import json

            _write(json.dumps(stored.data, indent=2, ensure_ascii=False) + "\n", output, force)
        return
    from warroom.reports.render import render
    from warroom.services import reports as service

    model = service.report(
        ctx(),
        incident_id,
        _audience(audience),
        customer_id=customer,
        prepared_by=prepared_by or state.settings().prepared_by,
    )
    _write(render(model, chosen_format), output, force)


@app.command()
@incident_argument
@audience_option
@customer_option
@prepared_by_option
def publish(incident_id: str, audience: str, customer: str | None, prepared_by: str | None) -> None:
    """Publish the report as it stands: a numbered revision (who, when), kept as
    published. Needs the commander or admin role; refused when nothing changed."""
    from warroom.services import reports as service

    stored = service.publish(
        ctx(),
        incident_id,
        _audience(audience),
        customer_id=customer,
        prepared_by=prepared_by or state.settings().prepared_by,
    )
    target = f" for {stored.customer_id}" if stored.customer_id else ""
    say(
        f"{incident_id}: published revision ",
        bold(stored.number),
        f" ({stored.audience} version{target}) by {stored.published_by}, "
        f"{fmt_time(stored.published_at)}",
    )


@app.command()
@incident_argument
@json_option
def revisions(incident_id: str, as_json: bool) -> None:
    """List the incident's published report revisions."""
    from warroom.services import reports as service

    found = service.revisions(ctx(), incident_id)
    if as_json:
        from warroom.schemas.reports import RevisionPublic

        print_json([RevisionPublic.of(r).to_data() for r in found])
        return
    if not found:
        console.print(
            f"{incident_id} has no published report yet: "
            f"`warroom report publish {incident_id} --audience internal`"
        )
        return
    table = Table("rev", "audience", "customer", "published (UTC)", "by")
    for r in found:
        table.add_row(
            str(r.number), r.audience, r.customer_id or "", fmt_time(r.published_at), r.published_by
        )
    console.print(table)


@app.command()
@incident_argument
@click.argument("rev1", metavar="REV1", type=int, help="The older revision.")
@click.argument("rev2", metavar="REV2", type=int, help="The newer revision.")
@json_option
def diff(incident_id: str, rev1: int, rev2: int, as_json: bool) -> None:
    """Show what changed between two published revisions (a unified diff of the report)."""
    from warroom.services import reports as service

    found = service.diff(ctx(), incident_id, rev1, rev2)
    if as_json:
        from warroom.schemas.reports import RevisionDiffPublic

        print_json(RevisionDiffPublic.of(found.to_data()))
        return
    if not found.diff:
        console.print(f"revisions {rev1} and {rev2} of {incident_id} are the same")
        return
    console.print("Sections changed: " + (", ".join(found.sections_changed) or "footer only"))
    if sys.stdout.isatty():
        console.print(Syntax(found.diff, "diff", theme="ansi_dark", word_wrap=True))
    else:
        click.echo(found.diff, nl=False)


def _audience(value: str) -> Audience:
    chosen: Audience = parse_choice(value, Audience, "--audience")
    return chosen


def _format(value: str) -> Any:
    chosen = value.strip().lower()
    if chosen not in FORMATS:
        raise InvalidInput(
            [
                Problem(
                    "--format",
                    "bad_choice",
                    f"unknown format {value!r}; expected one of {', '.join(FORMATS)}",
                )
            ]
        )
    return chosen


def _write(content: str | bytes, output: Path | None, force: bool) -> None:
    """To the file (whole or not at all, `cli.files`), or to standard output."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if output is None:
        if isinstance(content, bytes) and sys.stdout.isatty():
            raise InvalidInput(
                [
                    Problem(
                        "--output",
                        "missing",
                        "a PDF is binary: write it to a file with -o FILE.pdf",
                    )
                ]
            )
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_output(output, data, force=force)
    say(f"wrote {output} ({len(data):,} bytes)")
