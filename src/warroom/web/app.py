"""The web pages inside the one server: `mount(app)` adds the staff pages (under /, sign-in
at /login), the public status page (/status) and the static files to the API's app, and
answers errors on those paths as pages (the API's paths keep their JSON envelope)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from warroom.api.errors import status_of
from warroom.domain.errors import PermissionDenied, WarroomError
from warroom.services.status import StatusCache
from warroom.web.auth import CsrfRefused, SignInRequired, current_viewer
from warroom.web.responses import common
from warroom.web.routes import auth, impact, incidents, metrics, reports, sla, status
from warroom.web.templating import page, render_page

log = logging.getLogger("warroom.web")

# paths that belong to the API and the operations endpoints, not to the pages
NOT_PAGES = ("/api/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics")
ROUTERS = (auth, incidents, impact, sla, reports, metrics, status)


@page("error.html")
@dataclass(frozen=True)
class ErrorPage:
    """A refusal or failure, as a page: 403 for what the person may not do, 404, ..."""

    status: int
    title: str
    message: str


TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    422: "Not accepted",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Unavailable",
}


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def mount(app: FastAPI) -> None:
    """Add the pages to `app` (made by `api.app.create_app`, whose state holds the Server)."""
    server = app.state.warroom
    settings = server.settings
    app.state.status_cache = StatusCache(
        server.base,
        status.documents,
        title=settings.status_title,
        ttl=float(settings.status_cache_seconds),
    )
    for module in ROUTERS:
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(files("warroom.web") / "static")), name="static")
    handlers = dict(app.exception_handlers)

    def wrap(kind: Any) -> None:
        original = handlers[kind]

        async def handle(request: Request, error: Exception) -> Response:
            if not is_page(request.url.path):
                response: Response = await original(request, error)
                return response
            return error_page(request, error)

        app.add_exception_handler(kind, handle)

    for kind in (WarroomError, HTTPException, Exception):
        wrap(kind)


def error_page(request: Request, error: Exception) -> Response:
    if isinstance(error, SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if isinstance(error, CsrfRefused):
        status, message = 403, error.message
    elif isinstance(error, WarroomError):
        status, message = status_of(error), error.message
        if isinstance(error, PermissionDenied):
            status = 403
    elif isinstance(error, HTTPException):
        status = error.status_code
        message = {404: "there is no page here", 405: "this page does not take that request"}.get(
            status, str(error.detail)
        )
    else:
        log.error("unexpected error under a page", exc_info=error)
        status, message = 500, "an unexpected error happened; it was logged"
    try:
        viewer = current_viewer(request)
    except Exception:  # the database may be what failed
        viewer = None
    title = TITLES.get(status, "Refused")
    return render_page(
        ErrorPage(status, title, message), common=common(request, viewer), status=status
    )
