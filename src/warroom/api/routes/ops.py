"""Operations at the root: /healthz (the process answers), /readyz (the database answers at
this warroom's schema), /metrics (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from warroom.api import metrics
from warroom.api.deps import ServerDep
from warroom.api.errors import envelope
from warroom.domain.errors import WarroomError
from warroom.schemas.base import ErrorEnvelope, Schema
from warroom.store.database import SCHEMA_REVISION, DatabaseUnavailable

router = APIRouter(tags=["operations"])


class HealthPublic(Schema):
    status: str


class ReadyPublic(Schema):
    status: str
    schema_revision: str


@router.get("/healthz", response_model=HealthPublic, summary="The process is up")
def healthz() -> HealthPublic:
    return HealthPublic(status="ok")


@router.get(
    "/readyz",
    response_model=ReadyPublic,
    responses={503: {"model": ErrorEnvelope, "description": "Not ready"}},
    summary="The database answers and its schema is current",
)
def readyz(srv: ServerDep) -> ReadyPublic | JSONResponse:
    try:
        srv.db.check_ready()
    except Exception as error:
        reason = (
            error
            if isinstance(error, WarroomError)
            else DatabaseUnavailable(f"the database does not answer: {_first_line(error)}")
        )
        return JSONResponse(envelope(reason), status_code=503, headers={"Retry-After": "5"})
    return ReadyPublic(status="ready", schema_revision=SCHEMA_REVISION)


@router.get("/metrics", response_class=Response, include_in_schema=False)
def prometheus(srv: ServerDep) -> Response:
    metrics.observe_pool(srv.db)
    body, media = metrics.exposition()
    return Response(body, media_type=media)


def _first_line(error: BaseException) -> str:
    text = str(error.orig if isinstance(error, DBAPIError) else error).strip()
    return text.splitlines()[0] if text else type(error).__name__
