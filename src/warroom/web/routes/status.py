"""The public status page (/status), its Atom feed (/status/feed.atom) and JSON
(/status/status.json): no sign-in, public content only, served from the status cache.

The same documents are what `warroom status export DIR` writes for a CDN; `documents`
renders all three from one `PublicStatus` with links relative (export) or absolute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files

from fastapi import APIRouter, Request
from starlette.responses import Response

from warroom.api.routes.subscriptions import message_page
from warroom.domain.errors import InvalidInput, TooManyRequests
from warroom.domain.status import ALL_SERVICES, PublicStatus
from warroom.services import subscriptions
from warroom.services.status import StatusCache, to_data
from warroom.web.auth import client_address, read_form, server_of
from warroom.web.templating import PAGE_POLICY, context_of, page, render_template

router = APIRouter()

STATIC = files("warroom.web") / "static"
SUBSCRIBE = "/status/subscribe"
STATUS_POLICY = PAGE_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")


@page("status.html")
@dataclass(frozen=True)
class StatusPage:
    """The public status: services and regions, active incidents with their public
    updates, scheduled maintenance, 90 days of uptime bars, incident history."""

    status: PublicStatus
    assets: str  # where status.css and warroom.js are: "/static/" served, "" exported
    feed_url: str
    json_url: str
    subscribe_url: str | None  # the email form's target; None in a static export


@page("feed.atom")
@dataclass(frozen=True)
class StatusFeed:
    """The Atom feed: one entry per announced incident, its public updates as content."""

    status: PublicStatus
    page_url: str  # the status page, for the entries' links


@dataclass(frozen=True)
class StatusDocuments:
    html: bytes
    feed: bytes
    json: bytes
    etag: str  # of the three together


def documents(status: PublicStatus, *, exported: bool = False) -> StatusDocuments:
    common = {"viewer": None, "csrf_token": "", "error": None, "notice": None, "path": "/status"}
    html = render_template(
        "status.html",
        {
            **context_of(
                StatusPage(
                    status,
                    "" if exported else "/static/",
                    "feed.atom" if exported else "/status/feed.atom",
                    "status.json" if exported else "/status/status.json",
                    None if exported else SUBSCRIBE,
                )
            ),
            **common,
        },
    )
    feed = render_template(
        "feed.atom", context_of(StatusFeed(status, "index.html" if exported else "/status"))
    )
    data = json.dumps(to_data(status), indent=2, ensure_ascii=False) + "\n"
    digest = hashlib.sha256((html + feed + data).encode()).hexdigest()[:32]
    return StatusDocuments(html.encode(), feed.encode(), data.encode(), f'"{digest}"')


def stylesheet() -> bytes:
    return (STATIC / "status.css").read_bytes()


def script() -> bytes:
    return (STATIC / "warroom.js").read_bytes()


def cache_of(request: Request) -> StatusCache[StatusDocuments]:
    found: StatusCache[StatusDocuments] = request.app.state.status_cache
    return found


def _answer(request: Request, body: bytes, media: str) -> Response:
    cache = cache_of(request)
    docs = cache.get()
    headers = {
        "ETag": docs.etag,
        "Cache-Control": f"public, max-age={int(cache.ttl)}",
        "Content-Security-Policy": STATUS_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == docs.etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


@router.get("/status")
def status_page(request: Request) -> Response:
    return _answer(request, cache_of(request).get().html, "text/html; charset=utf-8")


@router.get("/status/feed.atom")
def status_feed(request: Request) -> Response:
    return _answer(request, cache_of(request).get().feed, "application/atom+xml; charset=utf-8")


@router.get("/status/status.json")
def status_json(request: Request) -> Response:
    return _answer(request, cache_of(request).get().json, "application/json")


@router.post(SUBSCRIBE)
async def subscribe(request: Request) -> Response:
    """The status page's email form: the same subscription as `POST /api/v1/subscriptions`
    (a confirmation email first, the same rate limits). No session to carry a CSRF token,
    so a form posted from another site is refused by its Origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return message_page(
            "Not subscribed", "This form can only be sent from the status page itself.", status=403
        )
    form = await read_form(request)
    server = server_of(request)
    settings = server.settings
    services = [s for s in form.all("service") if s and s != ALL_SERVICES] or None
    try:
        subscriptions.subscribe(
            server.base,
            channel="email",
            address=form.get("email")[:320],
            services=services,
            regions=None,
            client=client_address(request),
            limit=settings.subscribe_limit,
        )
    except InvalidInput as error:
        return message_page(
            "Not subscribed",
            error.problems[0].message if error.problems else error.message,
            status=422,
        )
    except TooManyRequests as error:
        return message_page("Not subscribed", error.message, status=429)
    return message_page(
        "Check your email",
        "We sent a link to confirm the subscription; nothing else is sent until it is opened.",
        status=202,
    )
