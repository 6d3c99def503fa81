"""What every page route does the same way: the shared context, showing a page, acting on
a form (redirect on success, the page again with the error's sentence on refusal), and
the short notices a redirect may carry (codes, never text from the request)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from warroom.api.errors import status_of
from warroom.domain.errors import WarroomError
from warroom.web.auth import Viewer, sign_in_token
from warroom.web.templating import render_page

NOTICES = {
    "declared": "Incident declared.",
    "status": "Status changed.",
    "reopened": "Incident reopened.",
    "entry": "Timeline entry added.",
    "roles": "Role assigned.",
    "learning": "Root cause and contributing factors saved.",
    "details": "Incident details saved.",
    "action": "Corrective action added.",
    "action_saved": "Corrective action saved.",
    "approved": "Approval recorded.",
    "changes": "Changes requested; the approvals given so far are void.",
    "assessed": "Credits assessed.",
    "submitted": "Assessment sent to legal and finance.",
    "published": "Report revision published.",
    "signed_out": "You are signed out.",
    "expired": "Your session expired; sign in again.",
}


def common(
    request: Request,
    viewer: Viewer | None,
    *,
    error: WarroomError | None = None,
    notice: str | None = None,
) -> dict[str, Any]:
    code = notice if notice is not None else request.query_params.get("notice", "")
    return {
        "viewer": viewer,
        "csrf_token": viewer.session.csrf_secret if viewer else sign_in_token(request),
        "error": error,
        "notice": NOTICES.get(code),
        "path": request.url.path,
    }


def show(
    request: Request,
    page: object,
    viewer: Viewer | None,
    *,
    status: int = 200,
    error: WarroomError | None = None,
) -> HTMLResponse:
    return render_page(page, common=common(request, viewer, error=error), status=status)


def refused(request: Request, page: object, viewer: Viewer, error: WarroomError) -> HTMLResponse:
    """The page again, the refusal's sentence on top, the refusal's HTTP status."""
    return show(request, page, viewer, status=status_of(error), error=error)


def act(
    request: Request, viewer: Viewer, action: Callable[[], str], again: Callable[[], object]
) -> Response:
    """Run `action` (a service call, returning where to go next); on a refusal show
    `again()` (the page the form was on) with the error."""
    try:
        target = action()
    except WarroomError as error:
        return refused(request, again(), viewer, error)
    return RedirectResponse(target, status_code=303)


def with_notice(path: str, notice: str, **params: str) -> str:
    query = urlencode({**{k: v for k, v in params.items() if v}, "notice": notice})
    return f"{path}?{query}"
