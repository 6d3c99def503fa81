"""/api/v1/subscriptions: status-page subscriptions. Public: no token; rate-limited.

Confirm and unsubscribe links are opened by people from their email, so those routes
answer small HTML pages. The unsubscribe link works with one click as RFC 8058 asks:
a mail client POSTs `List-Unsubscribe=One-Click` to it; a GET shows a page that asks
first (mail scanners follow GET links, and must not unsubscribe anyone).
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from warroom.api.deps import ServerDep
from warroom.api.routes import API_PREFIX
from warroom.domain.errors import NotFound
from warroom.schemas.notify import SubscriptionCreate, SubscriptionPublic
from warroom.services import subscriptions as service

router = APIRouter(prefix=API_PREFIX + "/subscriptions", tags=["subscriptions"])

Token = Annotated[
    str, Query(min_length=16, max_length=200, description=("The token of the link in the email."))
]
_HTML = {"text/html": {"schema": {"type": "string"}}}
_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": _HTML},
    404: {"content": _HTML, "description": "The link is not valid (any more)"},
}


@router.post(
    "",
    response_model=SubscriptionPublic,
    status_code=202,
    responses={
        201: {"model": SubscriptionPublic, "description": "A webhook subscription, active at once"},
        429: {"description": "Too many subscribe requests"},
    },
    summary="Subscribe to status updates by email or webhook (no token)",
)
def subscribe(srv: ServerDep, request: Request, body: SubscriptionCreate) -> JSONResponse:
    settings = srv.settings
    channel = "email" if body.email is not None else "webhook"
    done = service.subscribe(
        srv.base,
        channel=channel,
        address=body.email or body.webhook_url or "",
        services=body.services,
        regions=body.regions,
        client=request.client.host if request.client else "unknown",
        limit=settings.subscribe_limit,
        allow_private=settings.webhook_allow_private,
    )
    answer = SubscriptionPublic(
        channel=done.channel,
        state=done.state,
        id=done.id,
        secret=done.secret,
        unsubscribe_token=done.unsubscribe_token,
    )
    return JSONResponse(answer.to_data(), status_code=201 if channel == "webhook" else 202)


@router.get(
    "/confirm",
    response_class=HTMLResponse,
    responses=_PAGE,
    summary="Confirm an email subscription (the link in the confirmation email)",
)
def confirm(srv: ServerDep, token: Token) -> HTMLResponse:
    try:
        found = service.confirm(srv.base, token)
    except NotFound as error:
        return message_page("Link not valid", error.message, status=404)
    return message_page(
        "Subscribed",
        f"{found.address} will get status updates. Every email has a link to unsubscribe.",
    )


@router.get(
    "/unsubscribe",
    response_class=HTMLResponse,
    responses=_PAGE,
    summary="The unsubscribe page: asks before unsubscribing",
)
def unsubscribe_page(srv: ServerDep, token: Token) -> HTMLResponse:
    try:
        found = service.check_unsubscribe(srv.base, token)
    except NotFound as error:
        return message_page("Link not valid", error.message, status=404)
    if found.state == "unsubscribed":
        return message_page("Unsubscribed", f"{found.address} gets no more status updates.")
    return message_page(
        "Unsubscribe?", f"Stop sending status updates to {found.address}?", form=True
    )


@router.post(
    "/unsubscribe",
    response_class=HTMLResponse,
    responses=_PAGE,
    summary="Unsubscribe (one click, RFC 8058; the body is not read)",
)
def unsubscribe(srv: ServerDep, token: Token) -> HTMLResponse:
    try:
        found = service.unsubscribe(srv.base, token)
    except NotFound as error:
        return message_page("Link not valid", error.message, status=404)
    return message_page("Unsubscribed", f"{found.address} gets no more status updates.")


def message_page(title: str, text: str, *, status: int = 200, form: bool = False) -> HTMLResponse:
    """A small page for people arriving from an email or a form (no session, no script)."""
    button = (
        '<form method="post"><input type="hidden" name="List-Unsubscribe" '
        'value="One-Click"><button type="submit">Unsubscribe</button></form>'
        if form
        else ""
    )
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{html.escape(title)}</title></head>'
        f'<body style="font-family:sans-serif;max-width:36em;margin:3em auto">'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{button}</body></html>"
    )
    return HTMLResponse(body, status_code=status)
