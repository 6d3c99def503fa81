"""The one mapping of failures to HTTP answers, each body the `ErrorEnvelope` of the CLI.

| failure | status |
| --- | --- |
| missing, unknown, expired or revoked token (`Unauthenticated`) | 401 + WWW-Authenticate |
| the role or scope does not allow it (`PermissionDenied`) | 403 |
| no such incident, revision, job ... (`NotFound`) | 404 |
| contradicts what is stored (`Conflict`, `IllegalTransition`, `NotApproved`) | 409 |
| body larger than WARROOM_MAX_BODY_BYTES | 413 |
| too many tries too fast (`TooManyRequests`: subscribing) | 429 + Retry-After |
| a body that is not JSON where JSON is expected | 415 (wrong type), 400 (malformed) |
| a value that breaks the rules (`InvalidInput`, request validation) | 422 |
| the database is unreachable, busy, or at another schema | 503 + Retry-After |
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from warroom.domain.assessment import NotApproved
from warroom.domain.errors import (
    Conflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    TooManyRequests,
    WarroomError,
)
from warroom.formats.documents import format_path
from warroom.schemas.base import ErrorEnvelope, ErrorItem
from warroom.store.database import (
    DatabaseNotReady,
    DatabaseUnavailable,
    is_transient,
    is_unavailable,
)

log = logging.getLogger("warroom.api")

RETRY_AFTER_SECONDS = "5"


class Unauthenticated(WarroomError):
    """No credential, or one that is not valid (unknown, wrong, expired, revoked)."""

    code = "unauthenticated"


class UnsupportedMediaType(WarroomError):
    code = "unsupported_media_type"


class PayloadTooLarge(WarroomError):
    code = "payload_too_large"


class MalformedBody(WarroomError):
    code = "malformed_body"


def envelope(error: WarroomError) -> dict[str, Any]:
    # services name some fields as the CLI's options (--customer): the API's are bare
    return ErrorEnvelope(
        error=error.message,
        code=error.code,
        errors=[
            ErrorItem(
                field=p.field.removeprefix("--"),
                code=p.code,
                message=p.message,
                source=p.source,
                line=p.line,
            )
            for p in error.problems
        ],
    ).to_data()


def status_of(error: WarroomError) -> int:
    if isinstance(error, Unauthenticated):
        return 401
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict | IllegalTransition | NotApproved):
        return 409
    if isinstance(error, PayloadTooLarge):
        return 413
    if isinstance(error, TooManyRequests):
        return 429
    if isinstance(error, UnsupportedMediaType):
        return 415
    if isinstance(error, MalformedBody):
        return 400
    if isinstance(error, DatabaseUnavailable | DatabaseNotReady):
        return 503
    return 422  # InvalidInput, and every other refusal of what was asked


def error_response(error: WarroomError) -> JSONResponse:
    status = status_of(error)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="warroom"'
    if status == 503:
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    if status == 429:
        headers["Retry-After"] = "3600"
    return JSONResponse(envelope(error), status_code=status, headers=headers)


async def _warroom_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, WarroomError)
    return error_response(error)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return error_response(from_validation(error.errors()))


def from_validation(errors: Sequence[Any]) -> WarroomError:
    """FastAPI's validation errors as warroom problems: the field's path, the error's
    type, a sentence. A body that is not JSON at all is a 400, not a 422."""
    problems = []
    for item in errors:
        loc = tuple(item.get("loc", ()))
        kind = str(item.get("type", "invalid"))
        if kind == "json_invalid":
            return MalformedBody(f"the body is not valid JSON: {item.get('msg', '')}".strip())
        where, path = (
            (loc[0], loc[1:])
            if loc and loc[0] in ("body", "query", "path", "header")
            else ("", loc)
        )
        field = format_path(p for p in path if isinstance(p, str | int)) or str(where)
        message = str(item.get("msg", "is not valid"))
        if kind == "missing" and where == "body" and not path:
            message = "a JSON body is required"
        problems.append(Problem(field=field, code=kind, message=message))
    if not problems:
        problems.append(Problem(field="", code="invalid", message="the request is not valid"))
    return InvalidInput(problems)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    detail = error.detail if isinstance(error.detail, str) else "request refused"
    if error.status_code == 404 and detail == "Not Found":
        detail = "no such route; the routes are listed at /docs"
    body = ErrorEnvelope(
        error=detail, code=code, errors=[ErrorItem(field="", code=code, message=detail)]
    ).to_data()
    return JSONResponse(body, status_code=error.status_code, headers=error.headers)


async def _database_error(_request: Request, error: Exception) -> JSONResponse:
    """The database failed under a request: unreachable or busy is a 503 (senders retry);
    anything else is a bug of ours, logged, and a 500 without internals."""
    if is_unavailable(error) or is_transient(error) or "unable to open database file" in str(error):
        return error_response(
            DatabaseUnavailable(
                "the database is unavailable; nothing was changed, try again shortly"
            )
        )
    log.error("database error under a request", exc_info=error)
    return _internal()


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error under a request", exc_info=error)
    return _internal()


def _internal() -> JSONResponse:
    body = ErrorEnvelope(
        error="internal error; it was logged",
        code="internal_error",
        errors=[
            ErrorItem(field="", code="internal_error", message="internal error; it was logged")
        ],
    ).to_data()
    return JSONResponse(body, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(WarroomError, _warroom_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
