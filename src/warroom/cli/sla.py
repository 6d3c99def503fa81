"""`warroom sla ...`: SLA credits per customer, the liability range, and the review gate."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from warroom.cli.common import console, ctx, parse_choice, print_json
from warroom.domain.assessment import parse_role, view_for
from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.formats.customer_registry import read_registry_file
from warroom.formats.sla_policy import read_policy_file
from warroom.services import sla as service
from warroom.services.sla import Assessment

app = typer.Typer(help="SLA credits, liability range, legal + finance approval.",
                  no_args_is_help=True)

Incident = Annotated[str, typer.Argument(metavar="INCIDENT")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (docs/json.md).")]


@app.command("assess")
def assess_(
    incident_id: Incident,
    customers: Annotated[Path, typer.Option(help="Customer registry CSV.")],
    policy: Annotated[Path, typer.Option(help="SLA policy YAML.")],
    submit: Annotated[bool, typer.Option("--submit", help="Send it to legal and finance "
                                         "for review right away.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compute each customer's credit and the liability range. Uses the stored impact
    analysis when there is one (measured downtime), else declared downtime only."""
    context = ctx()
    sla_policy = read_policy_file(policy)
    registry = read_registry_file(customers, policy=sla_policy)
    result = service.assess_incident(context, incident_id, policy=sla_policy, customers=registry,
                                     policy_source=str(policy), customers_source=str(customers))
    if submit and result.review.state.value in ("draft", "changes_requested"):
        result = service.submit(context, incident_id)
    show_assessment(result, as_json)


@app.command()
def show(
    incident_id: Incident,
    audience: Annotated[str, typer.Option(help="confidential, internal, customer or public: "
                                          "show only what that audience may see.")]
    = "internal",
    customer: Annotated[str | None, typer.Option(help="The customer, for --audience customer.")]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the incident's assessment as it stands (recomputed from its stored inputs)."""
    result = service.get_assessment(ctx(), incident_id)
    chosen = parse_choice(audience, Audience, "--audience")
    if chosen in (Audience.CUSTOMER, Audience.PUBLIC):
        if chosen is Audience.CUSTOMER and not customer:
            raise InvalidInput([Problem("--customer", "missing",
                                        "--audience customer needs --customer ID")])
        view = view_for(result.result, chosen, review=result.review, customer_id=customer)
        print_json(_plain(view))
        return
    show_assessment(result, as_json)


@app.command()
def submit(incident_id: Incident) -> None:
    """Send a draft assessment to legal and finance for review."""
    result = service.submit(ctx(), incident_id)
    console.print(f"{incident_id}: assessment is {result.review.state.value}")


RoleOpt = Annotated[str, typer.Option(help="legal or finance.")]
ByOpt = Annotated[str | None, typer.Option(help="Who acts (default: the acting user, --as).")]


@app.command()
def approve(
    incident_id: Incident, role: RoleOpt, by: ByOpt = None,
    comment: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Approve the credits as legal or finance. Both are needed, from two different people."""
    context = ctx()
    result = service.approve(context, incident_id, role=parse_role(role),
                             by=by or context.actor, comment=comment)
    console.print(f"{incident_id}: approved as {role} by {by or context.actor}; assessment is "
                  f"[bold]{result.review.state.value}[/]")


@app.command("request-changes")
def request_changes(
    incident_id: Incident, role: RoleOpt,
    comment: Annotated[str, typer.Option(help="What should change.")],
    by: ByOpt = None,
) -> None:
    """Send the assessment back (voids approvals given so far)."""
    context = ctx()
    result = service.request_changes(context, incident_id, role=parse_role(role),
                                     by=by or context.actor, comment=comment)
    console.print(f"{incident_id}: assessment is {result.review.state.value}")


@app.command("export-credits")
def export_credits(
    incident_id: Incident,
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write.")],
) -> None:
    """Write the approved credits as CSV for billing (refused until approved)."""
    lines = service.approved_credits(ctx(), incident_id)
    columns = ["incident_id", "month", "customer_id", "name", "tier", "currency",
               "credit_percent", "credit_amount", "claim_deadline", "approved_by_legal",
               "approved_by_finance"]
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for line in lines:
            writer.writerow([str(getattr(line, c)) for c in columns])
    total = sum((line.credit_amount for line in lines), start=0)
    console.print(f"Wrote {len(lines)} credit(s), total {total}, to {output}")


def show_assessment(result: Assessment, as_json: bool) -> None:
    data = result.public()
    if as_json:
        print_json(data)
        return
    console.print(f"SLA assessment of {data.incident_id} for {data.month} "
                  f"({data.currency or 'no currency'}): [bold]{data.status}[/]")
    if data.note:
        console.print(f"[yellow]{data.note}[/]")
    if data.status != "approved":
        console.print("[red]Pending legal and finance review: do not communicate credit "
                      "amounts to customers.[/]")
    tiers = Table("Tier", "Customers", "Credits (measured)", "Credits (declared)",
                  title="Credits by tier")
    for tier in data.by_tier:
        tiers.add_row(tier.tier, str(tier.customers), f"{tier.low:,.2f}", f"{tier.high:,.2f}")
    console.print(tiers)
    console.print(f"Liability range: [bold]{data.liability.low:,.2f} - "
                  f"{data.liability.high:,.2f} {data.currency or ''}[/]")
    if data.claim_deadline:
        console.print(f"Claims accepted until {data.claim_deadline.isoformat()}")
    for finding in data.exclusions:
        flags = [name for name, on in (("announced late", finding.announced_late),
                                       ("incident began inside it",
                                        finding.incident_began_inside)) if on]
        console.print(f"Maintenance window {finding.start:%Y-%m-%d %H:%M}–{finding.end:%H:%M} "
                      f"UTC: {'excluded' if finding.counts else 'not excluded'}"
                      + (f" ({', '.join(flags)})" if flags else ""))
    for approval in data.review.approvals:
        console.print(f"Approved as {approval.role} by {approval.by}")


def _plain(value: object) -> object:
    """Decimals and dates of a view as JSON text (money as decimal strings)."""
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
