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

from warroom.domain.status import PublicStatus
from warroom.services.status import StatusCache, to_data
from warroom.web.templating import PAGE_POLICY, context_of, page, render_template

router = APIRouter()

STATIC = files("warroom.web") / "static"
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
    common = {"viewer": None, "csrf_token": "", "error": None, "notice": None,
              "path": "/status"}
    html = render_template("status.html", {**context_of(StatusPage(
        status, "" if exported else "/static/",
        "feed.atom" if exported else "/status/feed.atom",
        "status.json" if exported else "/status/status.json")), **common})
    feed = render_template("feed.atom", context_of(StatusFeed(
        status, "index.html" if exported else "/status")))
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
    headers = {"ETag": docs.etag, "Cache-Control": f"public, max-age={int(cache.ttl)}",
               "Content-Security-Policy": STATUS_POLICY, "X-Content-Type-Options": "nosniff"}
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
