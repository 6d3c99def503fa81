"""Sign-in and sign-out (/login, /logout)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.errors import status_of
from warroom.domain.errors import WarroomError
from warroom.services import sessions
from warroom.services.sessions import TooManyAttempts
from warroom.web.auth import (
    Form,
    check_csrf,
    check_sign_in_csrf,
    clear_session_cookie,
    client_address,
    current_viewer,
    keep_sign_in_token,
    policy_of,
    read_form,
    require_viewer,
    server_of,
    set_session_cookie,
    web_context,
)
from warroom.web.responses import common
from warroom.web.templating import page, render_page

router = APIRouter()


@page("login.html")
@dataclass(frozen=True)
class LoginPage:
    """The sign-in form; `next` is where to go once signed in (a path of this site)."""

    next: str
    name: str


def safe_next(value: str | None) -> str:
    """Only a path of this site: never another site (//host, scheme:, backslashes)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return "/incidents"
    return value


@router.get("/login")
def login_form(request: Request) -> Response:
    viewer = current_viewer(request)
    target = safe_next(request.query_params.get("next"))
    if viewer is not None:
        return RedirectResponse(target, status_code=303)
    response = render_page(LoginPage(target, ""), common=common(request, None))
    keep_sign_in_token(request, response)
    return response


@router.post("/login")
def login(request: Request, form: Form = Depends(read_form)) -> Response:
    target = safe_next(form.get("next"))
    name = form.get("name").strip()
    server = server_of(request)
    try:
        check_sign_in_csrf(request, form)
        session = sessions.sign_in(
            web_context(server, name or "unknown"),
            name,
            form.get("password"),
            client=client_address(request),
            policy=policy_of(server),
        )
    except WarroomError as error:
        status = (
            429
            if isinstance(error, TooManyAttempts)
            else 403
            if error.code == "csrf"
            else 401
            if status_of(error) == 403
            else status_of(error)
        )
        refused = render_page(
            LoginPage(target, name[:200]), common=common(request, None, error=error), status=status
        )
        keep_sign_in_token(request, refused)
        return refused
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, session)
    return response


@router.post("/logout")
def logout(request: Request, form: Form = Depends(read_form)) -> Response:
    viewer = require_viewer(request)
    check_csrf(viewer, form)
    sessions.sign_out(viewer.ctx, viewer.session.token)
    response = RedirectResponse("/login?notice=signed_out", status_code=303)
    clear_session_cookie(request, response)
    return response
