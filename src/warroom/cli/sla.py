"""`warroom sla ...`: SLA credits per customer, the liability range, and the review gate."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import click
from rich.table import Table

from warroom.cli.common import (
    DANGER,
    WARNING,
    bold,
    console,
    ctx,
    parse_choice,
    print_json,
    say,
    styled,
)
from warroom.cli.files import write_output_stream
from warroom.cli.parts import PATH, force_option, group, incident_argument, json_option
from warroom.domain.assessment import parse_role
from warroom.domain.audience import Audience
from warroom.formats.customer_registry import open_registry
from warroom.formats.sla_policy import read_policy_file
from warroom.formats.spreadsheet import csv_chunks
from warroom.schemas.sla import AssessmentPublic, plain_view
from warroom.services import sla as service
from warroom.services.context import Context
from warroom.services.sla import Assessment

app = group("SLA credits, liability range, legal + finance approval.")

TEXT_PAGE = 20  # lines `sla show` prints as text unless asked for more
role_option = click.option(
    "--role", required=True, help="legal or finance: the review role you hold."
)


@app.command("assess")
@incident_argument
@click.option(
    "--customers",
    required=True,
    help="Customer registry: a CSV file, Parquet file(s), duckdb:///FILE#TABLE or "
    "postgresql://...#TABLE (what `impact --requests` reads).",
)
@click.option("--policy", required=True, type=PATH, help="SLA policy YAML.")
@click.option("--submit", is_flag=True, help="Send it to legal and finance for review right away.")
@json_option
def assess_(incident_id: str, customers: str, policy: Path, submit: bool, as_json: bool) -> None:
    """Compute each customer's credit and the liability range. Uses the stored impact
    analysis when there is one (measured downtime), else declared downtime only. The
    registry is read in batches, so its size is not bounded by memory."""
    context = ctx()
    sla_policy = read_policy_file(policy)
    registry = open_registry(customers, policy=sla_policy)
    result = service.assess_incident(
        context,
        incident_id,
        policy=sla_policy,
        customers=registry,
        policy_source=str(policy),
        customers_source=registry.text,
    )
    if submit and result.review.state.value in ("draft", "changes_requested"):
        result = service.submit(context, incident_id)
    show_assessment(result, as_json)


@app.command()
@incident_argument
@click.option(
    "--audience",
    default="internal",
    help="confidential, internal, customer or public: show only what that audience may see.",
)
@click.option(
    "--customer", help="One customer: its line (staff), or its view (--audience customer)."
)
@click.option("--offset", default=0, help="Skip this many lines (registry order).")
@click.option(
    "--limit",
    type=int,
    help=f"Lines to show: default {TEXT_PAGE} as text, {service.DEFAULT_PAGE} with --json.",
)
@json_option
def show(
    incident_id: str,
    audience: str,
    customer: str | None,
    offset: int,
    limit: int | None,
    as_json: bool,
) -> None:
    """Show the incident's assessment as it stands: its totals and a page of its lines
    (as stored: reading never recomputes them)."""
    chosen = parse_choice(audience, Audience, "--audience")
    if chosen in (Audience.CUSTOMER, Audience.PUBLIC):
        view = service.audience_view(ctx(), incident_id, chosen, customer_id=customer)
        if as_json:
            print_json(plain_view(view))
        else:
            show_outside_view(incident_id, view)
        return
    size = limit if limit is not None else service.DEFAULT_PAGE if as_json else TEXT_PAGE
    found = service.get_assessment(
        ctx(), incident_id, offset=offset, limit=size, customer_id=customer
    )
    show_assessment(found, as_json, lines=True, customer=customer)


def show_outside_view(incident_id: str, view: dict[str, object]) -> None:
    """What a customer (or the public) is shown of the assessment, as text."""
    if view.get("audience") == Audience.PUBLIC.value:
        say(f"The public sees no SLA figures of {incident_id}.")
        return
    if not view.get("affected"):
        say(f"Customer {view['customer_id']} was not affected by {incident_id} ({view['month']}).")
        return
    say(f"{view['name']} ({view['customer_id']}), {view['tier']}, {view['month']}:")
    say(
        f"  minutes of this incident: {view['incident_minutes']}; down minutes in the month: "
        f"{view['month_down_minutes']}; uptime {view['uptime']} %"
    )
    credit = view.get("credit")
    if isinstance(credit, dict):
        deadline = credit.get("claim_deadline")
        say(
            "  credit: ",
            bold(f"{credit['amount']} {credit['currency']}"),
            f" ({credit['percent']} % of the monthly fee)"
            + (f", to claim by {deadline}" if deadline else ""),
        )
    else:
        say("  no credit is shown to the customer (none owed, or not approved yet)")


@app.command()
@incident_argument
def submit(incident_id: str) -> None:
    """Send a draft assessment to legal and finance for review."""
    result = service.submit(ctx(), incident_id)
    say(f"{incident_id}: assessment is {result.review.state.value}")


@app.command()
@incident_argument
@role_option
@click.option("--comment")
@click.option(
    "--fingerprint",
    help="The fingerprint of the figures you reviewed (sla show prints it): refused if "
    "the figures have changed since.",
)
def approve(incident_id: str, role: str, comment: str | None, fingerprint: str | None) -> None:
    """Approve the credits as legal or finance, as yourself (--as / WARROOM_USER). Both are
    needed, from two different people."""
    context = _reviewer()
    result = service.approve(
        context, incident_id, role=parse_role(role), comment=comment, fingerprint=fingerprint
    )
    approval = result.review.approval(parse_role(role))
    say(
        f"{incident_id}: approved as {role} by {approval.by if approval else context.actor}; "
        "assessment is ",
        bold(result.review.state.value),
    )


@app.command("request-changes")
@incident_argument
@role_option
@click.option("--comment", required=True, help="What should change.")
def request_changes(incident_id: str, role: str, comment: str) -> None:
    """Send the assessment back, as yourself (voids approvals given so far)."""
    result = service.request_changes(
        _reviewer(), incident_id, role=parse_role(role), comment=comment
    )
    say(f"{incident_id}: assessment is {result.review.state.value}")


def _reviewer() -> Context:
    """The acting context; where approvals need an authenticated session, after the
    person's password (asked on the terminal) was checked."""
    context = ctx()
    if context.authenticated_approvals:
        from warroom.cli.users import authenticate

        authenticate(context)
    return context


@app.command("export-credits")
@incident_argument
@click.option("-o", "--output", required=True, type=PATH, help="CSV file to write.")
@force_option
def export_credits(incident_id: str, output: Path, force: bool) -> None:
    """Write the approved credits as CSV for billing (refused until approved). Cells that a
    spreadsheet would run as formulas are written as text. The lines stream from the
    database to the file, which replaces the old one only once complete."""
    count, total = 0, Decimal(0)

    def rows(lines: Iterable[service.CreditLine]) -> Iterator[service.CreditLine]:
        nonlocal count, total
        for line in lines:
            count += 1
            total += line.credit_amount
            yield line  # its fields are the columns, in order

    with service.credit_export(ctx(), incident_id) as lines:
        write_output_stream(
            output,
            (
                chunk.encode("utf-8")
                for chunk in csv_chunks(service.CreditLine._fields, rows(lines))
            ),
            force=force,
        )
    say(f"Wrote {count} credit(s), total {total}, to {output}")


def show_assessment(
    result: Assessment, as_json: bool, *, lines: bool = False, customer: str | None = None
) -> None:
    data = result.public()
    if as_json:
        print_json(data)
        return
    say(
        f"SLA assessment of {data.incident_id} for {data.month} "
        f"({data.currency or 'no currency'}): ",
        bold(data.status),
    )
    if data.note:
        say(styled(data.note, WARNING))
    if data.status != "approved":
        say(
            styled(
                "Pending legal and finance review: do not communicate credit amounts to customers.",
                DANGER,
            )
        )
    tiers = Table(
        "Tier", "Customers", "Credits (measured)", "Credits (declared)", title="Credits by tier"
    )
    for tier in data.by_tier:
        tiers.add_row(tier.tier, str(tier.customers), f"{tier.low:,.2f}", f"{tier.high:,.2f}")
    console.print(tiers)
    say(
        "Liability range: ",
        bold(
            f"{data.liability.low:,.2f} - {data.liability.high:,.2f} {data.currency or ''}".rstrip()
        ),
    )
    if data.claim_deadline:
        console.print(f"Claims accepted until {data.claim_deadline.isoformat()}")
    for finding in data.exclusions:
        flags = [
            name
            for name, on in (
                ("announced late", finding.announced_late),
                ("incident began inside it", finding.incident_began_inside),
            )
            if on
        ]
        console.print(
            f"Maintenance window {finding.start:%Y-%m-%d %H:%M}–{finding.end:%H:%M} "
            f"UTC: {'excluded' if finding.counts else 'not excluded'}"
            + (f" ({', '.join(flags)})" if flags else "")
        )
    for approval in data.review.approvals:
        say(f"Approved as {approval.role} by {approval.by}")
    say(f"Fingerprint of these figures: {data.fingerprint}")
    if lines:
        show_lines(data, customer)


def show_lines(data: AssessmentPublic, customer: str | None) -> None:
    """The page of lines the assessment was read with, as a table."""
    if customer is not None and not data.customers:
        say(
            f"Customer {customer} has no line in this assessment (not in the registry, or "
            "out of the incident's scope)."
        )
        return
    table = Table(
        "Customer",
        "Name",
        "Tier",
        "Down min\n(measured / declared)",
        "Uptime %\n(measured / declared)",
        "Credit\n(measured)",
        "Credit\n(declared)",
        title="Credit lines",
    )
    for row in data.customers:
        table.add_row(
            row.customer_id,
            row.name,
            row.tier + ("" if row.has_sla else " (no SLA)"),
            f"{row.down_minutes_measured} / {row.down_minutes_declared}",
            f"{row.uptime_measured} / {row.uptime_declared}",
            f"{row.credit_low:,.2f}",
            f"{row.credit_high:,.2f}",
        )
    if data.customers:
        console.print(table)
    if customer is None:
        first = data.customers_offset + 1
        last = data.customers_offset + len(data.customers)
        shown = f"lines {first:,}-{last:,}" if data.customers else "no lines"
        say(
            f"Showing {shown} of {data.customers_count:,} (--offset, --limit for others; "
            "--customer ID for one)"
        )
