"""/api/v1/intake/...: alerts and change events from monitoring systems; the alerts received.

Never lose, never duplicate: a delivery is answered 2xx only after it is committed
(`services.intake`), the same delivery again changes nothing, the database unavailable
answers 503 (senders retry 5xx, not 4xx), and a body that is not what the source sends
answers 4xx naming the problem (which the sender does not retry: retrying would not help).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from warroom.api import metrics
from warroom.api.deps import ActingContext, JsonContext, ServerDep, acting_context, is_json
from warroom.api.errors import MalformedBody, Unauthenticated, UnsupportedMediaType
from warroom.api.routes import API_PREFIX
from warroom.domain.alerts import AlertSource
from warroom.domain.errors import InvalidInput, PermissionDenied, WarroomError
from warroom.ingest import pagerduty as pd
from warroom.ingest import parse_alerts, request_model
from warroom.ingest.change import ChangeEvent, parse_change
from warroom.schemas.intake import (
    AlertPublic,
    AlertReceiptPublic,
    AlertsPublic,
    ChangePublic,
    ChangeReceiptPublic,
    ChangesPublic,
    IntakeReceiptPublic,
)
from warroom.services import intake as service
from warroom.services.context import Context
from warroom.store.database import DatabaseNotReady, DatabaseUnavailable

router = APIRouter(tags=["intake"])
INTAKE = API_PREFIX + "/intake"
CHANGE = "change"  # the metrics' source of change events
MAX_OFFSET = 10_000_000  # as the incident list: far past any real page, inside 64 bits


def _schema(model: Any) -> dict[str, Any]:
    """A request body documented by its model while the route reads the raw bytes (the
    adapters validate, so that every problem is named by its JSON path)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": model.model_json_schema(ref_template="#/components/schemas/{model}")
                }
            },
        }
    }


async def _json_body(request: Request) -> object:
    kind = request.headers.get("content-type")
    if kind is None or not is_json(kind):
        raise UnsupportedMediaType(
            f"the body is {(kind or 'untyped').split(';')[0].strip()}; send it as application/json"
        )
    raw = await request.body()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedBody(f"the body is not valid JSON: {exc}") from None


def _count(source: str, outcome: str, n: int = 1) -> None:
    metrics.INTAKE_ALERTS.labels(source=source, outcome=outcome).inc(n)


def _failed(source: str, error: BaseException) -> None:
    if isinstance(error, InvalidInput | MalformedBody | UnsupportedMediaType):
        _count(source, "rejected")
    elif isinstance(error, Unauthenticated | PermissionDenied):
        _count(source, "unauthorized")
    elif isinstance(error, DatabaseUnavailable | DatabaseNotReady) or not isinstance(
        error, WarroomError
    ):
        _count(source, "unavailable")


def _counted(receipts: list[service.AlertReceipt], source: str) -> list[AlertReceiptPublic]:
    for receipt in receipts:
        _count(source, _outcome(receipt))
    return [AlertReceiptPublic.of(r) for r in receipts]


def _outcome(receipt: service.AlertReceipt) -> str:
    """The metric's outcome: opened, joined, stored (for triage), updated, duplicate, stale."""
    if receipt.outcome is not service.Outcome.CREATED:
        return receipt.outcome.value
    if receipt.opened:
        return "opened"
    return "joined" if receipt.incident_id else "stored"


_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def alertmanager_context(srv: ServerDep, credentials: Credentials) -> Context:
    """The sender's context; failing to get it (no token, the database away) is counted
    among the intake's outcomes too. (async: run in the event loop as the route is, not
    in a worker thread; an intake token is usually known, `tokens.TokenCache`)"""
    try:
        return acting_context(srv, credentials)
    except BaseException as error:
        _failed(AlertSource.ALERTMANAGER.value, error)
        raise


@router.post(
    INTAKE + "/alertmanager",
    response_model=IntakeReceiptPublic,
    summary="Receive a Prometheus Alertmanager webhook (version 4)",
    openapi_extra=_schema(request_model(AlertSource.ALERTMANAGER)),
)
async def alertmanager(
    request: Request, srv: ServerDep, ctx: Annotated[Context, Depends(alertmanager_context)]
) -> IntakeReceiptPublic:
    """Point an Alertmanager `webhook_configs` receiver here with an intake token as its
    Bearer credential. Each alert is stored once by its fingerprint and start; firing
    alerts open or join incidents as the routing rules say (docs/intake.md)."""
    source = AlertSource.ALERTMANAGER.value
    try:
        body = await _json_body(request)
        alerts = parse_alerts(source, body, received_at=ctx.now(), new_key=_new_key)
        receipts = await srv.run_write(service.receive_alerts, ctx, alerts)
    except BaseException as error:
        _failed(source, error)
        raise
    return IntakeReceiptPublic(received=len(receipts), alerts=_counted(receipts, source))


async def pagerduty_context(srv: ServerDep, credentials: Credentials) -> Context | None:
    """PagerDuty senders authenticate with the event's `routing_key` (read with the body):
    a Bearer token, when sent, comes first."""
    if credentials is None:
        return None
    try:
        return acting_context(srv, credentials)
    except BaseException as error:
        _failed(AlertSource.PAGERDUTY.value, error)
        raise


@router.post(
    INTAKE + "/pagerduty",
    status_code=202,
    response_model=pd.PagerDutyAccepted,
    summary="Receive a PagerDuty Events API v2 event",
    responses={
        400: {"model": pd.PagerDutyInvalid, "description": "Invalid event (PagerDuty's own shape)"}
    },
    openapi_extra=_schema(request_model(AlertSource.PAGERDUTY)),
)
async def pagerduty(
    request: Request, srv: ServerDep, bearer: Annotated[Context | None, Depends(pagerduty_context)]
) -> JSONResponse:
    """Anything that can page PagerDuty can open an incident here: set its events URL to
    this route and its routing (integration) key to an intake token. Answers 202 with the
    dedup key, as PagerDuty does; an invalid event gets PagerDuty's 400 answer."""
    source = AlertSource.PAGERDUTY.value
    try:
        body = await _json_body(request)
        ctx = bearer or _routing_key_context(srv, body)
        alerts = parse_alerts(source, body, received_at=ctx.now(), new_key=_new_key)
        receipts = await srv.run_write(service.receive_alerts, ctx, alerts)
    except InvalidInput as error:
        _failed(source, error)
        return JSONResponse(pd.invalid_event(error), status_code=400)
    except BaseException as error:
        _failed(source, error)
        raise
    _counted(receipts, source)
    return JSONResponse(pd.accepted(receipts[0].key), status_code=202)


def _routing_key_context(srv: ServerDep, body: object) -> Context:
    key = pd.read_routing_key(body)
    if not key:
        raise Unauthenticated(
            "send an intake token as the event's routing_key, or as Authorization: Bearer TOKEN"
        )
    return acting_context(srv, HTTPAuthorizationCredentials(scheme="Bearer", credentials=key))


@router.post(
    INTAKE + "/change",
    response_model=ChangeReceiptPublic,
    summary="Receive a change event (deploy, configuration, maintenance)",
    openapi_extra=_schema(ChangeEvent),
)
async def change(request: Request, ctx: JsonContext) -> ChangeReceiptPublic:
    """A change on a service or region. Posting the same change again changes nothing;
    it is shown as a possible trigger on incidents detected within the look-back after it
    (WARROOM_CHANGE_LOOKBACK_MINUTES, default 120) on the same service or region."""
    try:
        received = parse_change(await _json_body(request))
        receipt = service.receive_change(ctx, received)
    except BaseException as error:
        _failed(CHANGE, error)
        raise
    _count(CHANGE, receipt.outcome.value)
    return ChangeReceiptPublic.of(receipt)


@router.get(
    API_PREFIX + "/alerts", response_model=AlertsPublic, summary="Alerts as received, newest first"
)
def list_alerts(
    ctx: ActingContext,
    status: Annotated[str | None, Query(pattern="^(firing|acknowledged|resolved)$")] = None,
    unattached: Annotated[
        bool, Query(description="Only alerts no incident holds (to triage)")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AlertsPublic:
    found, total = service.alerts_page(
        ctx, status=status, unattached=unattached, limit=limit, offset=offset
    )
    return AlertsPublic(data=[AlertPublic.of(a) for a in found], count=total)


@router.get(
    API_PREFIX + "/incidents/{incident_id}/alerts",
    response_model=AlertsPublic,
    summary="The alerts attached to an incident",
)
def incident_alerts(ctx: ActingContext, incident_id: str) -> AlertsPublic:
    found = service.alerts_of(ctx, incident_id)
    return AlertsPublic(data=[AlertPublic.of(a) for a in found], count=len(found))


@router.get(
    API_PREFIX + "/changes",
    response_model=ChangesPublic,
    summary="Changes to production as reported, newest first",
)
def list_changes(
    ctx: ActingContext,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ChangesPublic:
    found, total = service.changes_page(ctx, limit=limit, offset=offset)
    return ChangesPublic(data=[ChangePublic.of(c) for c in found], count=total)


def _new_key() -> str:
    return uuid.uuid4().hex
