"""What routes declare they need, as `Annotated` aliases: the acting context, the server.

A request's context is built from its bearer token and nothing else: an api token acts
as its owner (channel api), an intake token as its sending system (channel intake, may
only post alerts and change events). Whether the person may do what they ask is decided
by the services (`services.access.authorize`), never here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from warroom.api.errors import Unauthenticated, UnsupportedMediaType
from warroom.domain.severity import SeverityScale
from warroom.formats.sources_file import Sources
from warroom.services import tokens
from warroom.services.context import Channel, Context
from warroom.settings import Settings
from warroom.store.database import Database

T = TypeVar("T")

# Alert deliveries a server process keeps in PostgreSQL at once (`Server.run_write`).
WRITES_AT_ONCE = 4


@dataclass
class Server:
    """What every request of one app shares: configuration, the database, the clock, and
    the context every request's own is made from (`services.context.context_from`)."""

    settings: Settings
    db: Database
    scale: SeverityScale
    sources: Sources
    clock: Callable[[], datetime]
    base: Context
    token_cache: tokens.TokenCache = field(default_factory=tokens.TokenCache)
    write_slots: anyio.CapacityLimiter = field(
        default_factory=lambda: anyio.CapacityLimiter(WRITES_AT_ONCE)
    )

    async def run_write(self, work: Callable[..., T], *args: object) -> T:
        """Run a write transaction that an async route waits for (alert intake).

        On PostgreSQL a write mostly waits for the database: round trips, other writers'
        locks, the commit reaching the disk. In the event loop it would keep the process
        from doing anything else meanwhile; it runs in a worker thread instead, up to
        WRITES_AT_ONCE at once (more only take turns at the interpreter). SQLite has one
        writer: a second thread would only wait for its lock, so there it runs in the
        event loop, one at a time."""
        if self.db.dialect == "sqlite":
            return work(*args)
        return await anyio.to_thread.run_sync(work, *args, limiter=self.write_slots)


# async, though it waits for nothing: FastAPI runs a plain function in a worker thread
async def server(request: Request) -> Server:
    found: Server = request.app.state.warroom
    return found


ServerDep = Annotated[Server, Depends(server)]

_bearer = HTTPBearer(
    auto_error=False, description="An API token: `warroom token create NAME` prints one (wr_...)."
)


def acting_context(
    srv: ServerDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Context:
    if credentials is None:
        raise Unauthenticated(
            "this needs an API token: send Authorization: Bearer TOKEN "
            "(`warroom token create NAME` makes one)"
        )
    identity = tokens.authenticate(srv.db, credentials.credentials, srv.clock(), srv.token_cache)
    if identity is None:
        raise Unauthenticated("the token is not valid: unknown, expired or revoked")
    intake = identity.scope is tokens.Scope.INTAKE
    return dataclasses.replace(
        srv.base,
        actor=identity.name,
        channel=Channel.INTAKE if intake else Channel.API,
        authenticated=True,
        token_id=identity.token_id,
        intake_only=intake,
    )


ActingContext = Annotated[Context, Depends(acting_context)]


def json_context(request: Request, ctx: ActingContext) -> Context:
    """The acting context of a route that reads a JSON body: a body of another type is
    refused (415) after the credential is checked (401 comes first)."""
    has_body = (
        request.headers.get("content-length", "0") not in ("", "0")
        or "transfer-encoding" in request.headers
    )
    kind = request.headers.get("content-type")
    if has_body and kind is not None and not is_json(kind):
        raise UnsupportedMediaType(
            f"the body is {kind.split(';')[0].strip()}; this route reads application/json"
        )
    return ctx


def is_json(content_type: str) -> bool:
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (
        main.startswith("application/") and main.endswith("+json")
    )


JsonContext = Annotated[Context, Depends(json_context)]
