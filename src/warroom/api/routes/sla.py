"""/api/v1/incidents/{id}/sla: assess credits, review them (legal + finance), list and
export them.

Assessing runs inline: it streams the registry named in WARROOM_SOURCES_FILE through the
rules into the database (about a second per 100,000 customers). Lines are listed a page
at a time; the CSV export streams from the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import PlainSerializer

from warroom.api.deps import ActingContext, JsonContext, ServerDep
from warroom.api.routes import API_PREFIX
from warroom.domain.audience import Audience
from warroom.formats.customer_registry import open_registry
from warroom.formats.sla_policy import read_policy_file
from warroom.formats.spreadsheet import csv_chunks
from warroom.schemas.base import Money, Schema
from warroom.schemas.requests import Approval, ChangeRequest, SlaAssess
from warroom.schemas.sla import (
    AssessmentPublic,
    CreditLinesPage,
    CustomerCreditPublic,
    plain_view,
)
from warroom.services import sla as service
from warroom.services.context import Context

router = APIRouter(prefix=API_PREFIX + "/incidents/{incident_id}/sla", tags=["sla"])

CSV_COLUMNS = service.CreditLine._fields  # the columns of `sla export-credits`


Percent = Annotated[Decimal, PlainSerializer(lambda v: format(v, "f"), return_type=str)]


class CreditLinePublic(Schema):
    incident_id: str
    month: str
    customer_id: str
    name: str
    tier: str
    currency: str
    credit_percent: Percent
    credit_amount: Money
    claim_deadline: str
    approved_by_legal: str
    approved_by_finance: str


class CreditsPublic(Schema):
    """A page of the approved credits: `count` is all of them."""

    data: list[CreditLinePublic]
    count: int
    limit: int
    offset: int


Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=100_000_000)]


@router.get("", response_model=AssessmentPublic, summary="The assessment as it stands")
def get_assessment(
    ctx: ActingContext,
    incident_id: str,
    limit: Annotated[int, Query(ge=0, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
    offset: Offset = 0,
) -> AssessmentPublic:
    """Its totals, and `limit` of its lines (registry order) from `offset`."""
    return service.get_assessment(ctx, incident_id, offset=offset, limit=limit).public()


@router.get(
    "/lines", response_model=CreditLinesPage, summary="A page of the assessment's credit lines"
)
def list_lines(
    ctx: ActingContext,
    incident_id: str,
    limit: Limit = 50,
    offset: Offset = 0,
    search: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Only lines whose customer ID or name contains this text (any case).",
        ),
    ] = None,
) -> CreditLinesPage:
    page = service.list_lines(ctx, incident_id, offset=offset, limit=limit, search=search)
    return CreditLinesPage(
        data=[CustomerCreditPublic.of(line) for line in page.lines],
        count=page.total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/views/{audience}",
    response_model=dict[str, Any],
    summary="What one audience may see of the assessment",
)
def audience_view(
    ctx: ActingContext,
    incident_id: str,
    audience: Audience,
    customer: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    if audience in (Audience.CUSTOMER, Audience.PUBLIC):
        found: dict[str, Any] = plain_view(
            service.audience_view(ctx, incident_id, audience, customer_id=customer)
        )
        return found
    return service.get_assessment(ctx, incident_id).public().to_data()


@router.post(
    "/assess", response_model=AssessmentPublic, summary="Compute (or recompute) the credits"
)
def assess(ctx: JsonContext, srv: ServerDep, incident_id: str, body: SlaAssess) -> AssessmentPublic:
    policy_path = srv.sources.policy_file(body.policy)
    policy = read_policy_file(policy_path)
    registry = open_registry(srv.sources.customers_location(body.customers), policy=policy)
    result = service.assess_incident(
        ctx,
        incident_id,
        policy=policy,
        customers=registry,
        policy_source=str(policy_path),
        customers_source=registry.text,
    )
    if body.submit and result.review.state.value in ("draft", "changes_requested"):
        result = service.submit(ctx, incident_id)
    return result.public()


@router.post(
    "/submit", response_model=AssessmentPublic, summary="Send a draft to legal and finance"
)
def submit(ctx: JsonContext, incident_id: str) -> AssessmentPublic:
    return service.submit(ctx, incident_id).public()


@router.post(
    "/approve", response_model=AssessmentPublic, summary="Approve the credits as legal or finance"
)
def approve(ctx: JsonContext, incident_id: str, body: Approval) -> AssessmentPublic:
    return service.approve(
        ctx, incident_id, role=body.role, comment=body.comment, fingerprint=body.fingerprint
    ).public()


@router.post(
    "/request-changes", response_model=AssessmentPublic, summary="Send the assessment back"
)
def request_changes(ctx: JsonContext, incident_id: str, body: ChangeRequest) -> AssessmentPublic:
    return service.request_changes(ctx, incident_id, role=body.role, comment=body.comment).public()


@router.get(
    "/credits",
    response_model=CreditsPublic,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="The approved credits, for billing (JSON pages, or all as CSV)",
)
def export_credits(
    ctx: ActingContext,
    incident_id: str,
    format: Literal["json", "csv"] = "json",
    limit: Limit = service.DEFAULT_PAGE,
    offset: Offset = 0,
) -> Any:
    if format == "csv":
        return StreamingResponse(
            _csv(ctx, incident_id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{incident_id}-credits.csv"'},
        )
    lines, count = service.credits_page(ctx, incident_id, offset=offset, limit=limit)
    return CreditsPublic(
        data=[CreditLinePublic(**{c: getattr(line, c) for c in CSV_COLUMNS}) for line in lines],
        count=count,
        limit=limit,
        offset=offset,
    )


def _csv(ctx: Context, incident_id: str) -> Iterator[str]:
    """Every approved credit as CSV, streamed. The approval is checked before the first
    byte (a refusal is an ordinary error response); the lines then come from the same
    database snapshot."""
    stack = ExitStack()
    lines = stack.enter_context(service.credit_export(ctx, incident_id))
    return _streamed(stack, csv_chunks(service.CreditLine._fields, lines))


def _streamed(stack: ExitStack, chunks: Iterator[str]) -> Iterator[str]:
    with stack:
        yield from chunks
