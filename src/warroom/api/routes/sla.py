"""/api/v1/incidents/{id}/sla: assess credits, review them (legal + finance), export them.

Assessing runs inline (it reads a policy and a registry and computes in memory: well
under a few seconds); the policy and registry are named in WARROOM_SOURCES_FILE.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import PlainSerializer

from warroom.api.deps import ActingContext, JsonContext, ServerDep
from warroom.api.routes import API_PREFIX
from warroom.domain.audience import Audience
from warroom.formats.customer_registry import read_registry_file
from warroom.formats.sla_policy import read_policy_file
from warroom.formats.spreadsheet import csv_text
from warroom.schemas.base import Money, Schema
from warroom.schemas.requests import Approval, ChangeRequest, SlaAssess
from warroom.schemas.sla import AssessmentPublic, plain_view
from warroom.services import sla as service

router = APIRouter(prefix=API_PREFIX + "/incidents/{incident_id}/sla", tags=["sla"])

CSV_COLUMNS = ("incident_id", "month", "customer_id", "name", "tier", "currency",
               "credit_percent", "credit_amount", "claim_deadline", "approved_by_legal",
               "approved_by_finance")


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
    data: list[CreditLinePublic]
    count: int


@router.get("", response_model=AssessmentPublic, summary="The assessment as it stands")
def get_assessment(ctx: ActingContext, incident_id: str) -> AssessmentPublic:
    return service.get_assessment(ctx, incident_id).public()


@router.get("/views/{audience}", response_model=dict[str, Any],
            summary="What one audience may see of the assessment")
def audience_view(ctx: ActingContext, incident_id: str, audience: Audience,
                  customer: Annotated[str | None, Query(max_length=200)] = None,
                  ) -> dict[str, Any]:
    if audience in (Audience.CUSTOMER, Audience.PUBLIC):
        found: dict[str, Any] = plain_view(service.audience_view(
            ctx, incident_id, audience, customer_id=customer))
        return found
    return service.get_assessment(ctx, incident_id).public().to_data()


@router.post("/assess", response_model=AssessmentPublic,
             summary="Compute (or recompute) the credits")
def assess(ctx: JsonContext, srv: ServerDep, incident_id: str,
           body: SlaAssess) -> AssessmentPublic:
    policy_path = srv.sources.policy_file(body.policy)
    registry_path = srv.sources.customers_file(body.customers)
    policy = read_policy_file(policy_path)
    registry = read_registry_file(registry_path, policy=policy)
    result = service.assess_incident(ctx, incident_id, policy=policy, customers=registry,
                                     policy_source=str(policy_path),
                                     customers_source=str(registry_path))
    if body.submit and result.review.state.value in ("draft", "changes_requested"):
        result = service.submit(ctx, incident_id)
    return result.public()


@router.post("/submit", response_model=AssessmentPublic,
             summary="Send a draft to legal and finance")
def submit(ctx: JsonContext, incident_id: str) -> AssessmentPublic:
    return service.submit(ctx, incident_id).public()


@router.post("/approve", response_model=AssessmentPublic,
             summary="Approve the credits as legal or finance")
def approve(ctx: JsonContext, incident_id: str, body: Approval) -> AssessmentPublic:
    return service.approve(ctx, incident_id, role=body.role, comment=body.comment,
                           fingerprint=body.fingerprint).public()


@router.post("/request-changes", response_model=AssessmentPublic,
             summary="Send the assessment back")
def request_changes(ctx: JsonContext, incident_id: str,
                    body: ChangeRequest) -> AssessmentPublic:
    return service.request_changes(ctx, incident_id, role=body.role,
                                   comment=body.comment).public()


@router.get("/credits", response_model=CreditsPublic,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
            summary="The approved credits, for billing (JSON or CSV)")
def export_credits(ctx: ActingContext, incident_id: str,
                   format: Literal["json", "csv"] = "json") -> Any:
    lines = service.approved_credits(ctx, incident_id)
    if format == "csv":
        text = csv_text(list(CSV_COLUMNS),
                        ([getattr(line, c) for c in CSV_COLUMNS] for line in lines))
        return Response(text, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{incident_id}-credits.csv"'})
    return CreditsPublic(data=[CreditLinePublic(**{c: getattr(line, c) for c in CSV_COLUMNS})
                               for line in lines], count=len(lines))
