"""Who is signed in, and what every form must carry: the session cookie, the acting
context of a signed-in request, form parsing and the CSRF check.

- The session cookie is HttpOnly and SameSite=Lax, and Secure when the request came
  over TLS (or, with WARROOM_TRUSTED_PROXY=true, when the proxy says it did).
- A signed-in request acts as `dataclasses.replace(server.base, actor=person,
  channel=Channel.WEB, authenticated=True)`: services decide what the person may do.
- Every POST carries the session's CSRF token (the sign-in form: a token that is also
  in a cookie of its own, double-submitted); without it the server refuses (403).
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request
from starlette.responses import Response

from warroom.api.deps import Server
from warroom.domain.errors import WarroomError
from warroom.domain.permissions import Action, UserRole, allowed
from warroom.services import sessions
from warroom.services.context import Channel, Context
from warroom.services.sessions import SessionPolicy, WebSession
from warroom.store import users as people

SESSION_COOKIE = "warroom_session"
LOGIN_COOKIE = "warroom_signin"
MAX_FORM_BYTES = 256 * 1024
_ROLE_NAMES = frozenset(r.value for r in UserRole)


class SignInRequired(WarroomError):
    """The page needs a signed-in person (answered with a redirect to /login)."""

    code = "sign_in_required"


class CsrfRefused(WarroomError):
    """A form posted without its CSRF token, or with another session's."""

    code = "csrf"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, their roles, and the context they act in."""

    name: str
    roles: frozenset[UserRole]
    session: WebSession
    ctx: Context

    def can(self, action: str) -> bool:
        """Whether the permissions table lets this person's roles do `action` (buttons)."""
        return allowed(Action(action), self.roles)

    def holds(self, role: str) -> bool:
        return UserRole(role) in self.roles

    @property
    def role_names(self) -> str:
        return ", ".join(r.value for r in UserRole if r in self.roles)


def server_of(request: Request) -> Server:
    found: Server = request.app.state.warroom
    return found


def policy_of(server: Server) -> SessionPolicy:
    from datetime import timedelta

    settings = server.settings
    return SessionPolicy(
        lifetime=timedelta(hours=settings.session_hours),
        idle=timedelta(minutes=settings.session_idle_minutes),
        attempts=settings.signin_attempts,
    )


def web_context(server: Server, actor: str) -> Context:
    return dataclasses.replace(
        server.base,
        actor=actor,
        channel=Channel.WEB,
        authenticated=True,
        token_id=None,
        intake_only=False,
    )


def current_viewer(request: Request) -> Viewer | None:
    """The signed-in person of this request, or None (cached on the request)."""
    if "warroom_viewer" in request.scope:
        found: Viewer | None = request.scope["warroom_viewer"]
        return found
    server = server_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    viewer = None
    session = sessions.resume(server.base, token, policy=policy_of(server)) if token else None
    if session is not None:
        with server.db.reading() as conn:
            user = people.get(conn, session.name)
        if user is not None:
            roles = frozenset(UserRole(r) for r in user.roles if r in _ROLE_NAMES)
            viewer = Viewer(user.name, roles, session, web_context(server, user.name))
    request.scope["warroom_viewer"] = viewer
    return viewer


def require_viewer(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise SignInRequired("sign in to see this page")
    return viewer


def over_tls(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    if server_of(request).settings.trusted_proxy:
        forwarded = request.headers.get("x-forwarded-proto", "")
        return forwarded.split(",")[0].strip().lower() == "https"
    return False


def client_address(request: Request) -> str:
    if server_of(request).settings.trusted_proxy:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded.strip():
            return forwarded.split(",")[0].strip()[:64]
    return (request.client.host if request.client else "unknown")[:64]


def set_session_cookie(request: Request, response: Response, session: WebSession) -> None:
    max_age = int((session.expires_at - server_of(request).clock()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=max(0, max_age),
        path="/",
        httponly=True,
        samesite="lax",
        secure=over_tls(request),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=over_tls(request)
    )


def sign_in_token(request: Request) -> str:
    """The sign-in form's CSRF token: the one in its cookie, or a new one."""
    found = request.cookies.get(LOGIN_COOKIE, "")
    if 20 <= len(found) <= 100 and found.replace("-", "").replace("_", "").isalnum():
        return found
    request.scope.setdefault("warroom_new_signin_token", secrets.token_urlsafe(32))
    new: str = request.scope["warroom_new_signin_token"]
    return new


def keep_sign_in_token(request: Request, response: Response) -> None:
    new = request.scope.get("warroom_new_signin_token")
    if new:
        response.set_cookie(
            LOGIN_COOKIE,
            new,
            max_age=3600,
            path="/login",
            httponly=True,
            samesite="strict",
            secure=over_tls(request),
        )


# -- forms --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """A posted application/x-www-form-urlencoded body."""

    fields: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def optional(self, name: str) -> str | None:
        value = self.get(name).strip()
        return value or None

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def has(self, name: str) -> bool:
        return name in self.fields


async def read_form(request: Request) -> Form:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise CsrfRefused("the form is too large")
    if kind not in ("application/x-www-form-urlencoded", ""):
        return Form({})
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Form({})
    return Form(parse_qs(text, keep_blank_values=True, max_num_fields=2000))


def check_csrf(viewer: Viewer, form: Form) -> None:
    if not sessions.csrf_matches(viewer.session.csrf_secret, form.get("csrf_token")):
        raise CsrfRefused(
            "this form was not sent from a warroom page of your session (its "
            "security token is missing or out of date): reload the page and "
            "try again"
        )


def check_sign_in_csrf(request: Request, form: Form) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not sessions.csrf_matches(cookie, form.get("csrf_token")):
        raise CsrfRefused(
            "the sign-in form expired or was not sent from warroom's sign-in "
            "page: reload it and try again"
        )
